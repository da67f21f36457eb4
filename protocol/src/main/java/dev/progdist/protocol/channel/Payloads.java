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
import dev.progdist.protocol.channel.ChannelMessage.ErrorMessage;
import dev.progdist.protocol.channel.ChannelMessage.Hello;
import dev.progdist.protocol.channel.ChannelMessage.HelloAck;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.wire.TrpStatus.InstalledProgram;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Payload schemas and value rules of the implemented message types. The JSON is read as a tree and
 * checked field by field, so no coercion (number to string, single value to list) can slip in.
 * Messages never quote the payload.
 */
final class Payloads {

    private static final byte[] EMPTY = new byte[0];

    private static final ObjectReader READER = Json.mapper().reader()
            .with(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Pattern PROGRAM_ID = Pattern.compile(ChannelMessage.PROGRAM_ID_PATTERN);
    private static final Pattern VERSION = Pattern.compile(ChannelMessage.VERSION_PATTERN);
    private static final Pattern SESSION_ID = Pattern.compile(ChannelMessage.SESSION_ID_PATTERN);
    private static final Pattern USER_ID = Pattern.compile(ChannelMessage.USER_ID_PATTERN);
    private static final Pattern ERROR_CODE = Pattern.compile(ChannelMessage.ERROR_CODE_PATTERN);

    private static final Set<String> HELLO_FIELDS = Set.of("deviceId", "installed");
    private static final Set<String> PROGRAM_FIELDS = Set.of("programId", "version");
    private static final Set<String> HELLO_ACK_FIELDS = Set.of("sessionId", "deviceId", "userId");
    private static final Set<String> ERROR_FIELDS = Set.of("code", "message");

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
                match(p.programId(), PROGRAM_ID, at + ".programId", ChannelMessage.PROGRAM_ID_PATTERN);
                match(p.version(), VERSION, at + ".version", ChannelMessage.VERSION_PATTERN);
            }
        } else if (m instanceof HelloAck a) {
            match(a.sessionId(), SESSION_ID, "hello-ack: sessionId", ChannelMessage.SESSION_ID_PATTERN);
            deviceId(a.deviceId(), "hello-ack");
            match(a.userId(), USER_ID, "hello-ack: userId", ChannelMessage.USER_ID_PATTERN);
        } else if (m instanceof ErrorMessage e) {
            match(e.code(), ERROR_CODE, "error: code", ChannelMessage.ERROR_CODE_PATTERN);
            errorText(e.message());
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
