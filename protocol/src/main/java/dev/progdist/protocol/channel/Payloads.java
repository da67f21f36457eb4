package dev.progdist.protocol.channel;

import static dev.progdist.protocol.channel.ChannelCodecException.PAYLOAD_INVALID;
import static dev.progdist.protocol.channel.ChannelCodecException.PAYLOAD_MALFORMED;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.channel.ChannelMessage.Close;
import dev.progdist.protocol.channel.ChannelMessage.DeliveryAck;
import dev.progdist.protocol.channel.ChannelMessage.DeliveryChunk;
import dev.progdist.protocol.channel.ChannelMessage.DeliveryEnd;
import dev.progdist.protocol.channel.ChannelMessage.DeliveryStart;
import dev.progdist.protocol.channel.ChannelMessage.ErrorMessage;
import dev.progdist.protocol.channel.ChannelMessage.Fetch;
import dev.progdist.protocol.channel.ChannelMessage.Hello;
import dev.progdist.protocol.channel.ChannelMessage.HelloAck;
import dev.progdist.protocol.channel.ChannelMessage.Receipt;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.program.ProgramVersions;
import dev.progdist.protocol.wire.TrpStatus.InstalledProgram;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Payload schemas and value rules of the message types. The JSON is read as a tree and checked
 * field by field, so no coercion (number to string, string to number, single value to list) can slip
 * in. A DeliveryChunk payload is raw bytes: copied once out of the decoder's buffer, never parsed.
 * Messages never quote the payload.
 */
final class Payloads {

    private static final byte[] EMPTY = new byte[0];

    private static final ObjectReader READER = Json.mapper().reader()
            .with(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Pattern SESSION_ID = Pattern.compile(ChannelMessage.SESSION_ID_PATTERN);
    private static final Pattern USER_ID = Pattern.compile(ChannelMessage.USER_ID_PATTERN);
    private static final Pattern ERROR_CODE = Pattern.compile(ChannelMessage.ERROR_CODE_PATTERN);

    private static final Set<String> HELLO_FIELDS = Set.of("deviceId", "installed");
    private static final Set<String> PROGRAM_FIELDS = Set.of("programId", "version");
    private static final Set<String> HELLO_ACK_FIELDS = Set.of("sessionId", "deviceId", "userId");
    private static final Set<String> ERROR_FIELDS = Set.of("code", "message");
    private static final Set<String> FETCH_FIELDS = Set.of("programId", "version", "mode");
    private static final Set<String> DELIVERY_START_FIELDS = Set.of("programId", "version", "mode", "programSize",
            "programSha256", "envelopeSize", "publisherSignature", "publisherCertificate", "serverNonce");
    private static final Set<String> DELIVERY_END_FIELDS = Set.of("envelopeSha256");
    private static final Set<String> RECEIPT_FIELDS = Set.of("programId", "version", "programSha256",
            "envelopeSha256", "serverNonce", "signature");
    private static final Set<String> DELIVERY_ACK_FIELDS = Set.of("received");

    private Payloads() {
    }

    // ---------------------------------------------------------------- encoding

    /** The payload of a message that {@link #validate} accepted. */
    static byte[] encode(ChannelMessage message) {
        ObjectNode o = Json.mapper().createObjectNode();
        if (message instanceof Hello h) {
            o.put("deviceId", h.deviceId());
            ArrayNode list = o.putArray("installed");
            for (InstalledProgram p : h.installed()) {
                list.addObject().put("programId", p.programId()).put("version", p.version());
            }
        } else if (message instanceof HelloAck a) {
            o.put("sessionId", a.sessionId()).put("deviceId", a.deviceId()).put("userId", a.userId());
        } else if (message instanceof ErrorMessage e) {
            o.put("code", e.code()).put("message", e.message());
        } else if (message instanceof Close) {
            return EMPTY;
        } else if (message instanceof Fetch f) {
            o.put("programId", f.programId()).put("version", f.version()).put("mode", f.mode());
        } else if (message instanceof DeliveryStart d) {
            o.put("programId", d.programId()).put("version", d.version()).put("mode", d.mode())
                    .put("programSize", d.programSize()).put("programSha256", d.programSha256())
                    .put("envelopeSize", d.envelopeSize()).put("publisherSignature", d.publisherSignature())
                    .put("publisherCertificate", d.publisherCertificate()).put("serverNonce", d.serverNonce());
        } else if (message instanceof DeliveryChunk c) {
            return c.bytes(); // the frame copies it; no copy here
        } else if (message instanceof DeliveryEnd e) {
            o.put("envelopeSha256", e.envelopeSha256());
        } else if (message instanceof Receipt r) {
            o.put("programId", r.programId()).put("version", r.version()).put("programSha256", r.programSha256())
                    .put("envelopeSha256", r.envelopeSha256()).put("serverNonce", r.serverNonce())
                    .put("signature", r.signature());
        } else if (message instanceof DeliveryAck a) {
            o.put("received", a.received());
        } else {
            throw new IllegalArgumentException("unsupported message class " + message.getClass().getName());
        }
        try {
            return Json.mapper().writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            // validated text always serializes; reaching this is a bug, and its message may quote the text
            throw new IllegalStateException("cannot serialize " + message.type().label() + " payload");
        }
    }

    // ---------------------------------------------------------------- decoding

    /** The message in {@code len} bytes at {@code off} of a frame of {@code type}; validated. */
    static ChannelMessage decode(MessageType type, byte[] buf, int off, int len) {
        ChannelMessage m = switch (type) {
            case CLOSE -> new Close(); // the header check already refused any payload
            case HELLO -> hello(object(type, buf, off, len));
            case HELLO_ACK -> helloAck(object(type, buf, off, len));
            case ERROR -> error(object(type, buf, off, len));
            case FETCH -> fetch(object(type, buf, off, len));
            case DELIVERY_START -> deliveryStart(object(type, buf, off, len));
            // the header check already bounded len to 1..MAX_CHUNK; the one copy, adopted as is
            case DELIVERY_CHUNK -> DeliveryChunk.adopt(Arrays.copyOfRange(buf, off, off + len));
            case DELIVERY_END -> deliveryEnd(object(type, buf, off, len));
            case RECEIPT -> receipt(object(type, buf, off, len));
            case DELIVERY_ACK -> deliveryAck(object(type, buf, off, len));
        };
        validate(m);
        return m;
    }

    private static Hello hello(ObjectNode o) {
        String where = "hello";
        exactFields(o, HELLO_FIELDS, where);
        String deviceId = text(o, "deviceId", where);
        JsonNode installed = o.get("installed");
        if (!installed.isArray()) {
            throw malformed(where + ": field installed must be an array");
        }
        if (installed.size() > ChannelMessage.MAX_INSTALLED) {
            throw invalid(where + ": installed has more than " + ChannelMessage.MAX_INSTALLED + " entries");
        }
        List<InstalledProgram> programs = new ArrayList<>(installed.size());
        for (int i = 0; i < installed.size(); i++) {
            String at = where + ": installed[" + i + "]";
            JsonNode entry = installed.get(i);
            if (!entry.isObject()) {
                throw malformed(at + " must be an object");
            }
            ObjectNode p = (ObjectNode) entry;
            exactFields(p, PROGRAM_FIELDS, at);
            programs.add(new InstalledProgram(text(p, "programId", at), text(p, "version", at)));
        }
        return new Hello(deviceId, programs);
    }

    private static HelloAck helloAck(ObjectNode o) {
        String where = "hello-ack";
        exactFields(o, HELLO_ACK_FIELDS, where);
        return new HelloAck(text(o, "sessionId", where), text(o, "deviceId", where), text(o, "userId", where));
    }

    private static ErrorMessage error(ObjectNode o) {
        String where = "error";
        exactFields(o, ERROR_FIELDS, where);
        return new ErrorMessage(text(o, "code", where), text(o, "message", where));
    }

    private static Fetch fetch(ObjectNode o) {
        String where = "fetch";
        exactFields(o, FETCH_FIELDS, where);
        return new Fetch(text(o, "programId", where), text(o, "version", where), text(o, "mode", where));
    }

    private static DeliveryStart deliveryStart(ObjectNode o) {
        String where = "delivery-start";
        exactFields(o, DELIVERY_START_FIELDS, where);
        return new DeliveryStart(text(o, "programId", where), text(o, "version", where), text(o, "mode", where),
                size(o, "programSize", where), text(o, "programSha256", where), size(o, "envelopeSize", where),
                text(o, "publisherSignature", where), text(o, "publisherCertificate", where),
                text(o, "serverNonce", where));
    }

    private static DeliveryEnd deliveryEnd(ObjectNode o) {
        String where = "delivery-end";
        exactFields(o, DELIVERY_END_FIELDS, where);
        return new DeliveryEnd(text(o, "envelopeSha256", where));
    }

    private static Receipt receipt(ObjectNode o) {
        String where = "receipt";
        exactFields(o, RECEIPT_FIELDS, where);
        return new Receipt(text(o, "programId", where), text(o, "version", where), text(o, "programSha256", where),
                text(o, "envelopeSha256", where), text(o, "serverNonce", where), text(o, "signature", where));
    }

    private static DeliveryAck deliveryAck(ObjectNode o) {
        String where = "delivery-ack";
        exactFields(o, DELIVERY_ACK_FIELDS, where);
        return new DeliveryAck(size(o, "received", where));
    }

    private static ObjectNode object(MessageType type, byte[] buf, int off, int len) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buf, off, len))
                    .toString();
        } catch (CharacterCodingException e) {
            throw malformed(type.label() + ": payload is not valid UTF-8");
        }
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
            throw malformed(type.label() + ": payload starts with a byte order mark");
        }
        JsonNode root;
        try {
            root = READER.readTree(text);
        } catch (JsonProcessingException e) {
            // Jackson's message may quote the input: say only what kind of failure it was
            throw malformed(type.label() + ": payload is not a single well-formed JSON document");
        }
        if (root == null || !root.isObject()) {
            throw malformed(type.label() + ": payload must be a JSON object");
        }
        return (ObjectNode) root;
    }

    /** Refuses unknown fields (without naming them: the name comes from the peer) and missing ones. */
    private static void exactFields(ObjectNode o, Set<String> expected, String where) {
        Iterator<String> names = o.fieldNames();
        while (names.hasNext()) {
            if (!expected.contains(names.next())) {
                throw malformed(where + ": unknown field (expected only " + String.join(", ", sorted(expected))
                        + ")");
            }
        }
        for (String name : sorted(expected)) {
            if (!o.has(name)) {
                throw malformed(where + ": missing field " + name);
            }
        }
    }

    private static String text(ObjectNode o, String field, String where) {
        JsonNode n = o.get(field);
        if (n.isNull()) {
            throw malformed(where + ": field " + field + " is null");
        }
        if (!n.isTextual()) {
            throw malformed(where + ": field " + field + " must be a string");
        }
        return n.textValue();
    }

    /**
     * A JSON integer (no fraction, no exponent, not a string); its range is a value rule, checked by
     * {@link #validate}. An integer beyond {@code long} is out of range as well.
     */
    private static long size(ObjectNode o, String field, String where) {
        JsonNode n = o.get(field);
        if (n.isNull()) {
            throw malformed(where + ": field " + field + " is null");
        }
        if (!n.isIntegralNumber()) {
            throw malformed(where + ": field " + field + " must be an integer");
        }
        if (!n.canConvertToLong()) {
            throw invalid(where + ": " + field + " is not between 0 and " + ChannelMessage.MAX_SIZE);
        }
        return n.longValue();
    }

    private static List<String> sorted(Set<String> names) {
        return names.stream().sorted().toList();
    }

    // ---------------------------------------------------------------- value rules

    /** Throws {@code payload-invalid} unless every field of {@code m} satisfies its rule. */
    static void validate(ChannelMessage m) {
        if (m instanceof Hello h) {
            deviceId(h.deviceId(), "hello");
            if (h.installed() == null) {
                throw invalid("hello: field installed is missing");
            }
            if (h.installed().size() > ChannelMessage.MAX_INSTALLED) {
                throw invalid("hello: installed has more than " + ChannelMessage.MAX_INSTALLED + " entries");
            }
            for (int i = 0; i < h.installed().size(); i++) {
                String at = "hello: installed[" + i + "]";
                InstalledProgram p = h.installed().get(i);
                if (p == null) {
                    throw invalid(at + " is missing");
                }
                programId(p.programId(), at + ".programId");
                version(p.version(), at + ".version");
            }
        } else if (m instanceof HelloAck a) {
            match(a.sessionId(), SESSION_ID, "hello-ack: sessionId", ChannelMessage.SESSION_ID_PATTERN);
            deviceId(a.deviceId(), "hello-ack");
            match(a.userId(), USER_ID, "hello-ack: userId", ChannelMessage.USER_ID_PATTERN);
        } else if (m instanceof ErrorMessage e) {
            match(e.code(), ERROR_CODE, "error: code", ChannelMessage.ERROR_CODE_PATTERN);
            errorText(e.message());
        } else if (m instanceof Fetch f) {
            programId(f.programId(), "fetch: programId");
            if (f.version() == null || !f.version().isEmpty()) {
                version(f.version(), "fetch: version");
            }
            if (f.mode() == null || !f.mode().isEmpty()) {
                mode(f.mode(), "fetch: mode", "must be '', 'direct' or 'wrapped'");
            }
        } else if (m instanceof DeliveryStart d) {
            String where = "delivery-start: ";
            programId(d.programId(), where + "programId");
            version(d.version(), where + "version");
            mode(d.mode(), where + "mode", "must be 'direct' or 'wrapped'");
            size(d.programSize(), where + "programSize");
            sha256(d.programSha256(), where + "programSha256");
            size(d.envelopeSize(), where + "envelopeSize");
            base64(d.publisherSignature(), ChannelMessage.MAX_PUBLISHER_SIGNATURE, where + "publisherSignature");
            base64(d.publisherCertificate(), ChannelMessage.MAX_PUBLISHER_CERTIFICATE,
                    where + "publisherCertificate");
            nonce(d.serverNonce(), where + "serverNonce");
        } else if (m instanceof DeliveryChunk c) {
            if (c.bytes() == null) {
                throw invalid("delivery-chunk: data is missing");
            }
            if (c.bytes().length == 0) {
                throw invalid("delivery-chunk: data is empty");
            }
            // the upper bound is the frame's: encode and the decoder refuse more with frame-too-large
        } else if (m instanceof DeliveryEnd e) {
            sha256(e.envelopeSha256(), "delivery-end: envelopeSha256");
        } else if (m instanceof Receipt r) {
            String where = "receipt: ";
            programId(r.programId(), where + "programId");
            version(r.version(), where + "version");
            sha256(r.programSha256(), where + "programSha256");
            sha256(r.envelopeSha256(), where + "envelopeSha256");
            nonce(r.serverNonce(), where + "serverNonce");
            base64(r.signature(), ChannelMessage.MAX_RECEIPT_SIGNATURE, where + "signature");
        } else if (m instanceof DeliveryAck a) {
            size(a.received(), "delivery-ack: received");
        } else if (!(m instanceof Close)) {
            throw new IllegalArgumentException("unsupported message class " + m.getClass().getName());
        }
    }

    private static void deviceId(String value, String where) {
        if (value == null) {
            throw invalid(where + ": field deviceId is missing");
        }
        if (!DeviceId.isValid(value)) {
            throw invalid(where + ": deviceId is not a valid device ID "
                    + "(1 to 64 of A-Z a-z 0-9 _ -, starting with a letter or digit)");
        }
    }

    private static void match(String value, Pattern pattern, String what, String rule) {
        if (value == null) {
            throw invalid(what + " is missing");
        }
        if (!pattern.matcher(value).matches()) {
            throw invalid(what + " does not match " + rule);
        }
    }

    private static void programId(String value, String what) {
        if (value == null) {
            throw invalid(what + " is missing");
        }
        if (!ProgramVersions.isProgramId(value)) {
            throw invalid(what + " does not match " + ProgramVersions.PROGRAM_ID_PATTERN);
        }
    }

    private static void version(String value, String what) {
        if (value == null) {
            throw invalid(what + " is missing");
        }
        if (!ProgramVersions.isVersion(value)) {
            throw invalid(what + " does not match " + ProgramVersions.VERSION_PATTERN);
        }
    }

    /** Exactly a lower-case {@link EnvelopeMode#label()}; unlike {@link EnvelopeMode#parse}, no case folding. */
    private static void mode(String value, String what, String rule) {
        if (value == null) {
            throw invalid(what + " is missing");
        }
        for (EnvelopeMode mode : EnvelopeMode.values()) {
            if (mode.label().equals(value)) {
                return;
            }
        }
        throw invalid(what + " " + rule);
    }

    private static void size(long value, String what) {
        if (value < 0 || value > ChannelMessage.MAX_SIZE) {
            throw invalid(what + " is not between 0 and " + ChannelMessage.MAX_SIZE);
        }
    }

    private static void sha256(String value, String what) {
        if (value == null) {
            throw invalid(what + " is missing");
        }
        if (!ProgramStatement.isSha256Hex(value)) {
            throw invalid(what + " is not 64 lower-case hex digits");
        }
    }

    /**
     * Standard base64 with padding, canonical (decoding and encoding again gives {@code value}), of
     * 1 to {@code maxBytes} bytes. The length is checked before decoding, so nothing large is built.
     */
    private static void base64(String value, int maxBytes, String what) {
        if (value == null) {
            throw invalid(what + " is missing");
        }
        if (value.isEmpty()) {
            throw invalid(what + " is empty");
        }
        if (value.length() > (maxBytes + 2) / 3 * 4) {
            throw invalid(what + " encodes more than " + maxBytes + " bytes");
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw invalid(what + " is not base64 (standard alphabet, padded)");
        }
        if (!Base64.getEncoder().encodeToString(decoded).equals(value)) {
            throw invalid(what + " is not canonical base64 (standard alphabet, padded)");
        }
        if (decoded.length > maxBytes) {
            throw invalid(what + " encodes more than " + maxBytes + " bytes");
        }
    }

    /** Base64url without padding, canonical, of exactly {@value ChannelMessage#SERVER_NONCE_BYTES} bytes. */
    private static void nonce(String value, String what) {
        if (value == null) {
            throw invalid(what + " is missing");
        }
        String rule = what + " is not " + ChannelMessage.SERVER_NONCE_BYTES
                + " bytes of canonical base64url without padding";
        if (value.length() != (ChannelMessage.SERVER_NONCE_BYTES * 4 + 2) / 3) {
            throw invalid(rule);
        }
        byte[] decoded;
        try {
            decoded = Base64.getUrlDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw invalid(rule);
        }
        if (decoded.length != ChannelMessage.SERVER_NONCE_BYTES
                || !Base64.getUrlEncoder().withoutPadding().encodeToString(decoded).equals(value)) {
            throw invalid(rule);
        }
    }

    private static void errorText(String message) {
        if (message == null) {
            throw invalid("error: message is missing");
        }
        if (message.length() > ChannelMessage.MAX_ERROR_MESSAGE) {
            throw invalid("error: message is longer than " + ChannelMessage.MAX_ERROR_MESSAGE + " characters");
        }
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (Character.isISOControl(c)) {
                throw invalid("error: message contains a control character");
            }
            if (Character.isHighSurrogate(c) && i + 1 < message.length()
                    && Character.isLowSurrogate(message.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw invalid("error: message contains an unpaired surrogate");
            }
        }
    }

    private static ChannelCodecException malformed(String message) {
        return new ChannelCodecException(PAYLOAD_MALFORMED, message);
    }

    private static ChannelCodecException invalid(String message) {
        return new ChannelCodecException(PAYLOAD_INVALID, message);
    }
}
