package dev.progdist.protocol.channel;

import static dev.progdist.protocol.channel.ChannelCodecException.FRAME_TOO_LARGE;
import static dev.progdist.protocol.channel.ChannelCodecException.PAYLOAD_INVALID;
import static dev.progdist.protocol.channel.ChannelCodecException.PAYLOAD_MALFORMED;
import static dev.progdist.protocol.channel.ChannelCodecTest.assertCode;
import static dev.progdist.protocol.channel.ChannelCodecTest.decode;
import static dev.progdist.protocol.channel.ChannelCodecTest.header;
import static dev.progdist.protocol.channel.ChannelCodecTest.roundTrip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.progdist.protocol.channel.ChannelMessage.DeliveryAck;
import dev.progdist.protocol.channel.ChannelMessage.DeliveryChunk;
import dev.progdist.protocol.channel.ChannelMessage.DeliveryEnd;
import dev.progdist.protocol.channel.ChannelMessage.DeliveryStart;
import dev.progdist.protocol.channel.ChannelMessage.ErrorMessage;
import dev.progdist.protocol.channel.ChannelMessage.Fetch;
import dev.progdist.protocol.channel.ChannelMessage.Receipt;
import dev.progdist.protocol.json.Json;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The delivery message types, 0x10 to 0x15: format, field rules and the DeliveryChunk record. */
class DeliveryMessagesTest {

    private static final long MAX_SIZE = 1L << 40;
    private static final String SHA_A = "0123456789abcdef".repeat(4);
    private static final String SHA_B = "fedcba9876543210".repeat(4);
    private static final String NONCE = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(32, 7));
    private static final String SIG = b64(bytes(71, 3));
    private static final String CERT = b64(bytes(600, 5));

    private static final Fetch FETCH = new Fetch("calc", "1.2.0", "direct");
    private static final Fetch FETCH_LATEST = new Fetch("org.example.tool", "", "");
    private static final DeliveryStart START = new DeliveryStart("calc", "1.2.0", "wrapped", 123_456, SHA_A, 124_000,
            SIG, CERT, NONCE);
    private static final DeliveryChunk CHUNK = new DeliveryChunk(new byte[] {1, 2, 3});
    private static final DeliveryEnd END = new DeliveryEnd(SHA_B);
    private static final Receipt RECEIPT = new Receipt("calc", "1.2.0", SHA_A, SHA_B, NONCE, b64(bytes(256, 9)));
    private static final DeliveryAck ACK = new DeliveryAck(1 << 20);
    private static final List<ChannelMessage> ALL = List.of(FETCH, FETCH_LATEST, START, CHUNK, END, RECEIPT, ACK);
    /** The JSON types, one valid message each. */
    private static final List<ChannelMessage> JSON_TYPES = List.of(FETCH, START, END, RECEIPT, ACK);

    private static final String MARKER = "SECRETMARKER";

    // ------------------------------------------------------------------ format and round trip

    @Test
    void eachDeliveryTypeRoundTrips() {
        for (ChannelMessage m : ALL) {
            byte[] frame = ChannelCodec.encode(m);
            assertThat(frame[3] & 0xff).isEqualTo(m.type().code());
            ChannelMessage decoded = roundTrip(m);
            assertThat(decoded).isEqualTo(m).isInstanceOf(m.getClass());
            assertThat(ChannelCodec.encode(decoded)).isEqualTo(frame);
        }
        assertThat(ALL).extracting(m -> m.type().code()).containsExactly(0x10, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15);
    }

    @Test
    void frameLayoutIsPinned() {
        assertThat(HexFormat.of().formatHex(ChannelCodec.encode(CHUNK))).isEqualTo("5044011200000003010203");
        assertPayload(new Fetch("p", "", ""), 0x10, "{\"programId\":\"p\",\"version\":\"\",\"mode\":\"\"}");
        assertPayload(new DeliveryStart("p", "1", "direct", 0, SHA_A, MAX_SIZE, "QQ==", "QUI=", NONCE), 0x11,
                "{\"programId\":\"p\",\"version\":\"1\",\"mode\":\"direct\",\"programSize\":0,\"programSha256\":\""
                        + SHA_A + "\",\"envelopeSize\":1099511627776,\"publisherSignature\":\"QQ==\","
                        + "\"publisherCertificate\":\"QUI=\",\"serverNonce\":\"" + NONCE + "\"}");
        assertPayload(END, 0x13, "{\"envelopeSha256\":\"" + SHA_B + "\"}");
        assertPayload(new Receipt("p", "1", SHA_A, SHA_B, NONCE, "QUJD"), 0x14, "{\"programId\":\"p\",\"version\":\"1\","
                + "\"programSha256\":\"" + SHA_A + "\",\"envelopeSha256\":\"" + SHA_B + "\",\"serverNonce\":\"" + NONCE
                + "\",\"signature\":\"QUJD\"}");
        assertPayload(new DeliveryAck(5), 0x15, "{\"received\":5}");
        // the examples of docs/protocol.md
        assertThat(HexFormat.of().formatHex(ChannelCodec.encode(new Fetch("hello-world", "", ""))))
                .startsWith("5044011000000032");
        assertThat(HexFormat.of().formatHex(ChannelCodec.encode(new DeliveryAck(1 << 20))))
                .isEqualTo("5044011500000014" + HexFormat.of().formatHex(
                        "{\"received\":1048576}".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void aDeliveryConversationDecodesInOrder() {
        byte[] envelope = bytes(40_000, 1);
        List<ChannelMessage> conversation = new ArrayList<>(List.of(START));
        for (int off = 0; off < envelope.length; off += ChannelMessage.MAX_CHUNK) {
            conversation.add(new DeliveryChunk(Arrays.copyOfRange(envelope, off,
                    Math.min(envelope.length, off + ChannelMessage.MAX_CHUNK))));
        }
        conversation.add(END);
        byte[] stream = ChannelCodecTest.concat(conversation);
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        List<ChannelMessage> out = new ArrayList<>();
        for (int off = 0; off < stream.length; off += ChannelCodec.MAX_FEED) {
            d.feed(stream, off, Math.min(ChannelCodec.MAX_FEED, stream.length - off));
            ChannelCodecTest.drain(d, out);
        }
        d.finish();
        assertThat(out).isEqualTo(conversation).hasSize(5);
        ByteBuffer joined = ByteBuffer.allocate(envelope.length);
        out.stream().filter(DeliveryChunk.class::isInstance).forEach(c -> joined.put(((DeliveryChunk) c).data()));
        assertThat(joined.array()).isEqualTo(envelope);
    }

    @Test
    void longestMessagesFitTheirFrames() {
        String id = "p".repeat(64);
        String version = "1".repeat(64);
        List<ChannelMessage> longest = List.of(
                new Fetch(id, version, "wrapped"),
                new DeliveryStart(id, version, "wrapped", MAX_SIZE, SHA_A, MAX_SIZE,
                        b64(bytes(ChannelMessage.MAX_PUBLISHER_SIGNATURE, 1)),
                        b64(bytes(ChannelMessage.MAX_PUBLISHER_CERTIFICATE, 2)), NONCE),
                new DeliveryChunk(bytes(ChannelMessage.MAX_CHUNK, 3)),
                new DeliveryEnd(SHA_B),
                new Receipt(id, version, SHA_A, SHA_B, NONCE, b64(bytes(ChannelMessage.MAX_RECEIPT_SIGNATURE, 4))),
                new DeliveryAck(MAX_SIZE));
        for (ChannelMessage m : longest) {
            assertThat(ChannelCodec.encode(m).length - ChannelCodec.HEADER_SIZE).as(m.type().label())
                    .isLessThanOrEqualTo(m.type().maxPayload());
            assertThat(roundTrip(m)).isEqualTo(m);
        }
    }

    // ------------------------------------------------------------------ JSON shape

    static Stream<Arguments> malformedShapes() {
        List<Arguments> cases = new ArrayList<>();
        JsonNodeFactory f = JsonNodeFactory.instance;
        for (ChannelMessage m : JSON_TYPES) {
            ObjectNode valid = rawObject(m);
            String t = m.type().label();
            ObjectNode extra = valid.deepCopy();
            extra.put(MARKER, "x");
            cases.add(Arguments.of(t + " with an unknown field", m.type().code(), extra));
            cases.add(Arguments.of(t + " as an empty object", m.type().code(), f.objectNode()));
            for (RecordComponent c : m.getClass().getRecordComponents()) {
                String name = c.getName();
                ObjectNode missing = valid.deepCopy();
                missing.remove(name);
                cases.add(Arguments.of(t + " without " + name, m.type().code(), missing));
                ObjectNode nul = valid.deepCopy();
                nul.putNull(name);
                cases.add(Arguments.of(t + " with null " + name, m.type().code(), nul));
                List<com.fasterxml.jackson.databind.JsonNode> wrong = c.getType() == long.class
                        ? List.of(f.textNode("1"), f.numberNode(1.5), f.numberNode(1.0), f.booleanNode(true),
                                f.arrayNode().add(1), f.objectNode())
                        : List.of(f.numberNode(1), f.booleanNode(true), f.arrayNode().add("a"), f.objectNode());
                for (var w : wrong) {
                    ObjectNode bad = valid.deepCopy();
                    bad.set(name, w);
                    cases.add(Arguments.of(t + " with " + name + " = " + w, m.type().code(), bad));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedShapes")
    void malformedShapeIsRefused(String label, int type, ObjectNode payload) {
        assertCode(() -> decode(type, payload.toString().getBytes(StandardCharsets.UTF_8)), PAYLOAD_MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.5", "1.0", "1e3", "1E0", "-0.0", "\"1\"", "\"0\"", "true", "[1]", "{}", "0x10"})
    void sizeMustBeAJsonInteger(String literal) {
        for (String json : sizeJson(literal)) {
            assertCode(() -> decode(type(json), json.getBytes(StandardCharsets.UTF_8)), PAYLOAD_MALFORMED);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "1099511627777", "9223372036854775807", "-9223372036854775808",
        "99999999999999999999", "-99999999999999999999"})
    void sizeOutOfRangeIsInvalid(String literal) {
        for (String json : sizeJson(literal)) {
            assertThatThrownBy(() -> decode(type(json), json.getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOfSatisfying(ChannelCodecException.class, e -> {
                        assertThat(e.code()).isEqualTo(PAYLOAD_INVALID);
                        assertThat(e.getMessage()).containsAnyOf("programSize", "envelopeSize", "received");
                    });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1", "1099511627776"})
    void sizeWithinRangeIsAccepted(String literal) {
        long value = Long.parseLong(literal);
        assertThat(decode(0x15, ("{\"received\":" + literal + "}").getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new DeliveryAck(value));
        List<String> json = sizeJson(literal);
        assertThat(decode(0x11, json.get(0).getBytes(StandardCharsets.UTF_8))).isInstanceOfSatisfying(
                DeliveryStart.class, s -> assertThat(s.programSize()).isEqualTo(value));
        assertThat(decode(0x11, json.get(1).getBytes(StandardCharsets.UTF_8))).isInstanceOfSatisfying(
                DeliveryStart.class, s -> assertThat(s.envelopeSize()).isEqualTo(value));
        assertThat(roundTrip(new DeliveryAck(value))).isEqualTo(new DeliveryAck(value));
    }

    // ------------------------------------------------------------------ value rules

    static Stream<Arguments> invalidValues() {
        List<Arguments> cases = new ArrayList<>();
        List<Object> badIds = List.of("", "-a", "a/b", "../p", "p".repeat(65), "\u00e4", "a b", MARKER + " x");
        List<Object> badVersions = List.of("-1", "1 2", "1".repeat(65), "v/1", MARKER + " x");
        List<Object> badModes = List.of("Direct", "DIRECT", " direct", "direct ", "both", "wrapped\n", MARKER);
        List<Object> badShas = List.of("", "0".repeat(63), "0".repeat(65), SHA_A.toUpperCase(), "g" + SHA_A.substring(1),
                " " + SHA_A.substring(1), MARKER);
        List<Object> badSizes = List.of(-1L, MAX_SIZE + 1, Long.MIN_VALUE, Long.MAX_VALUE);
        for (ChannelMessage m : List.of(FETCH, START, RECEIPT)) {
            add(cases, m, "programId", badIds);
            add(cases, m, "version", badVersions);
        }
        add(cases, START, "version", List.of(""));
        add(cases, RECEIPT, "version", List.of(""));
        add(cases, FETCH, "mode", badModes);
        add(cases, START, "mode", badModes);
        add(cases, START, "mode", List.of(""));
        add(cases, START, "programSize", badSizes);
        add(cases, START, "envelopeSize", badSizes);
        add(cases, ACK, "received", badSizes);
        add(cases, START, "programSha256", badShas);
        add(cases, END, "envelopeSha256", badShas);
        add(cases, RECEIPT, "programSha256", badShas);
        add(cases, RECEIPT, "envelopeSha256", badShas);
        add(cases, START, "publisherSignature", badBase64(ChannelMessage.MAX_PUBLISHER_SIGNATURE));
        add(cases, START, "publisherCertificate", badBase64(ChannelMessage.MAX_PUBLISHER_CERTIFICATE));
        add(cases, RECEIPT, "signature", badBase64(ChannelMessage.MAX_RECEIPT_SIGNATURE));
        add(cases, START, "serverNonce", badNonces());
        add(cases, RECEIPT, "serverNonce", badNonces());
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidValues")
    void invalidValueIsRefusedBothWaysNamingTheFieldNotTheValue(String label, String field, ChannelMessage bad) {
        for (ThrowingRefusal refusal : List.<ThrowingRefusal>of(() -> ChannelCodec.encode(bad),
                () -> decode(bad.type().code(), rawJson(bad)))) {
            assertThatThrownBy(refusal::run).isInstanceOfSatisfying(ChannelCodecException.class, e -> {
                assertThat(e.code()).isEqualTo(PAYLOAD_INVALID);
                assertThat(e.getMessage()).contains(field).doesNotContain(MARKER);
                assertThat(e.getCause()).isNull();
                ChannelCodec.encode(new ErrorMessage(e.code(), e.getMessage())); // can go to the peer as is
            });
        }
    }

    @Test
    void boundaryValuesAreAccepted() {
        List<ChannelMessage> ok = List.of(
                new Fetch("p".repeat(64), "1".repeat(64), "wrapped"), new Fetch("p", "", "direct"),
                new Fetch("p", "1", ""), with(START, "mode", "direct"), with(START, "programSize", 0L),
                with(START, "envelopeSize", MAX_SIZE), with(START, "programSize", MAX_SIZE),
                with(START, "publisherSignature", b64(bytes(ChannelMessage.MAX_PUBLISHER_SIGNATURE, 1))),
                with(START, "publisherSignature", b64(bytes(1, 1))),
                with(START, "publisherCertificate", b64(bytes(ChannelMessage.MAX_PUBLISHER_CERTIFICATE, 1))),
                with(RECEIPT, "signature", b64(bytes(ChannelMessage.MAX_RECEIPT_SIGNATURE, 1))),
                with(RECEIPT, "signature", b64(bytes(2, 1))),
                with(RECEIPT, "serverNonce", Base64.getUrlEncoder().withoutPadding().encodeToString(filled(32, 0xff))),
                new DeliveryAck(0), new DeliveryAck(MAX_SIZE));
        for (ChannelMessage m : ok) {
            assertThat(roundTrip(m)).isEqualTo(m);
            assertThat(decode(m.type().code(), rawJson(m))).isEqualTo(m);
        }
        // the nonce of all ones uses the base64url-only characters
        assertThat(Base64.getUrlEncoder().withoutPadding().encodeToString(filled(32, 0xff))).contains("_");
    }

    @Test
    void missingFieldsAreRefusedOnEncode() {
        for (ChannelMessage m : JSON_TYPES) {
            for (RecordComponent c : m.getClass().getRecordComponents()) {
                if (c.getType() == String.class) {
                    ChannelMessage bad = with(m, c.getName(), null);
                    assertThatThrownBy(() -> ChannelCodec.encode(bad)).as("%s without %s", m.type(), c.getName())
                            .isInstanceOfSatisfying(ChannelCodecException.class, e -> {
                                assertThat(e.code()).isEqualTo(PAYLOAD_INVALID);
                                assertThat(e.getMessage()).contains(c.getName());
                            });
                }
            }
        }
        assertCode(() -> ChannelCodec.encode(new DeliveryChunk(null)), PAYLOAD_INVALID);
    }

    // ------------------------------------------------------------------ DeliveryChunk

    @Test
    void chunkOfOneAndOfTheMaximumIsAccepted() {
        for (int n : new int[] {1, ChannelMessage.MAX_CHUNK}) {
            DeliveryChunk c = new DeliveryChunk(bytes(n, 11));
            byte[] frame = ChannelCodec.encode(c);
            assertThat(frame).hasSize(ChannelCodec.HEADER_SIZE + n);
            assertThat(roundTrip(c)).isEqualTo(c);
        }
        assertThat(ChannelCodec.encode(new DeliveryChunk(bytes(ChannelMessage.MAX_CHUNK, 1))))
                .hasSize(ChannelCodec.MAX_FEED);
    }

    @Test
    void chunkOfZeroOrAboveTheMaximumIsRefusedOnEncode() {
        assertCode(() -> ChannelCodec.encode(new DeliveryChunk(new byte[0])), PAYLOAD_INVALID);
        assertCode(() -> ChannelCodec.encode(new DeliveryChunk(new byte[ChannelMessage.MAX_CHUNK + 1])),
                FRAME_TOO_LARGE);
    }

    @Test
    void chunkHeaderDeclaringZeroOrAboveTheMaximumIsRefusedFromTheHeaderAlone() {
        ChannelCodec.Decoder empty = new ChannelCodec.Decoder();
        byte[] zero = header(0x50, 0x44, 1, 0x12, 0);
        empty.feed(zero, 0, 7);
        assertThat(empty.next()).isNull();
        assertThatThrownBy(() -> empty.feed(zero, 7, 1)).isInstanceOfSatisfying(ChannelCodecException.class, e -> {
            assertThat(e.code()).isEqualTo(PAYLOAD_INVALID);
            assertThat(e.getMessage()).contains("delivery-chunk");
        });
        ChannelCodec.Decoder big = new ChannelCodec.Decoder();
        byte[] over = header(0x50, 0x44, 1, 0x12, ChannelMessage.MAX_CHUNK + 1);
        big.feed(over, 0, 7);
        assertCode(() -> big.feed(over, 7, 1), FRAME_TOO_LARGE);
        // the maximum is awaited
        ChannelCodec.Decoder max = new ChannelCodec.Decoder();
        max.feed(header(0x50, 0x44, 1, 0x12, ChannelMessage.MAX_CHUNK));
        assertThat(max.next()).isNull();
        assertThat(max.hasPartialFrame()).isTrue();
    }

    @Test
    void chunkPayloadIsNotParsed() {
        // not UTF-8, not JSON: raw bytes, taken as they are
        byte[] raw = {(byte) 0xff, '{', 0, (byte) 0xc0, '"'};
        assertThat(decode(0x12, raw)).isEqualTo(new DeliveryChunk(raw));
        byte[] json = "{\"received\":1}".getBytes(StandardCharsets.UTF_8);
        assertThat(decode(0x12, json)).isEqualTo(new DeliveryChunk(json));
    }

    @Test
    void decodedChunkOwnsItsBytes() {
        // the decoder reuses its buffer; a chunk it returned must not change when more frames arrive
        byte[] first = bytes(1000, 1);
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        d.feed(ChannelCodec.encode(new DeliveryChunk(first)));
        DeliveryChunk got = (DeliveryChunk) d.next();
        d.feed(ChannelCodec.encode(new DeliveryChunk(filled(1000, 0))));
        assertThat(d.next()).isEqualTo(new DeliveryChunk(filled(1000, 0)));
        assertThat(got.data()).isEqualTo(first);
    }

    @Test
    void chunkKeepsAPrivateCopy() {
        byte[] in = {1, 2, 3};
        DeliveryChunk c = new DeliveryChunk(in);
        in[0] = 9;
        assertThat(c.data()).containsExactly(1, 2, 3);
        c.data()[1] = 9;
        assertThat(c.data()).containsExactly(1, 2, 3);
        assertThat(c.data()).isNotSameAs(c.data());
        assertThat(c.length()).isEqualTo(3);
        ByteBuffer view = c.asReadOnlyBuffer();
        assertThat(view.remaining()).isEqualTo(3);
        assertThat(view.get(2)).isEqualTo((byte) 3);
        assertThatThrownBy(() -> view.put(0, (byte) 9)).isInstanceOf(ReadOnlyBufferException.class);
        assertThat(new DeliveryChunk(null).data()).isNull();
    }

    @Test
    void onlyTheDecoderAdoptsAnArrayWithoutCopying() {
        byte[] fresh = {1, 2};
        assertThat(DeliveryChunk.adopt(fresh).bytes()).isSameAs(fresh);
        assertThat(new DeliveryChunk(fresh).bytes()).isNotSameAs(fresh).isEqualTo(fresh);
        // adoption ends with the call: the same array given to the constructor afterwards is copied
        DeliveryChunk.adopt(fresh);
        assertThat(new DeliveryChunk(fresh).bytes()).isNotSameAs(fresh);
    }

    @Test
    void chunkEqualityIsByContent() {
        DeliveryChunk a = new DeliveryChunk(new byte[] {1, 2, 3});
        DeliveryChunk b = new DeliveryChunk(new byte[] {1, 2, 3});
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(new DeliveryChunk(new byte[] {1, 2, 4}));
        assertThat(a).isNotEqualTo(new DeliveryChunk(new byte[] {1, 2}));
        assertThat(a).isNotEqualTo(new DeliveryChunk(null));
        assertThat(new DeliveryChunk(null)).isEqualTo(new DeliveryChunk(null));
        assertThat(a).isNotEqualTo(END);
    }

    @Test
    void chunkToStringGivesTheLengthOnly() {
        byte[] secret = MARKER.getBytes(StandardCharsets.US_ASCII);
        DeliveryChunk c = new DeliveryChunk(secret);
        assertThat(c.toString()).isEqualTo("DeliveryChunk[12 bytes]");
        assertThat(new DeliveryChunk(null).toString()).isEqualTo("DeliveryChunk[data=null]");
    }

    // ------------------------------------------------------------------ helpers

    interface ThrowingRefusal {
        void run() throws Throwable;
    }

    private static void assertPayload(ChannelMessage m, int type, String json) {
        byte[] frame = ChannelCodec.encode(m);
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        assertThat(Arrays.copyOfRange(frame, 0, 8)).containsExactly(header(0x50, 0x44, 1, type, payload.length));
        assertThat(new String(frame, 8, frame.length - 8, StandardCharsets.UTF_8)).isEqualTo(json);
    }

    private static void add(List<Arguments> cases, ChannelMessage m, String field, List<?> values) {
        for (Object v : values) {
            String shown = String.valueOf(v);
            shown = shown.length() > 24 ? shown.substring(0, 24) + "… (" + shown.length() + ")" : shown;
            cases.add(Arguments.of(m.type().label() + " " + field + " = " + shown, field, with(m, field, v)));
        }
    }

    /** Base64 values that break the rule: not the alphabet, not padded, not canonical, empty or too long. */
    private static List<Object> badBase64(int maxBytes) {
        return List.of("", "QR==", "QQ", "QQ=", "QQ===", "Q===", "====", "QUJD\n", " QUJD", "QUJD ", "QUJD\r\n",
                "QQ==QQ==", "-_-_", "QUJ*", "QU JD", MARKER + "!", b64(bytes(maxBytes + 1, 1)),
                b64(bytes(maxBytes + 3, 1)), b64(bytes(maxBytes, 1)) + "QQ==",
                b64(bytes(100, 1)).replace("=", ""));
    }

    private static List<Object> badNonces() {
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        // 43 characters carry 258 bits; the last two must be zero
        String nonCanonical = NONCE.substring(0, 42) + alphabet.charAt(alphabet.indexOf(NONCE.charAt(42)) + 1);
        String ones = url.encodeToString(filled(32, 0xff));
        return List.of("", url.encodeToString(bytes(31, 1)), url.encodeToString(bytes(33, 1)), NONCE + "=",
                Base64.getUrlEncoder().encodeToString(bytes(32, 1)), nonCanonical, ones.replace('_', '/'),
                ones.replace('_', '+'), NONCE.substring(0, 42) + " ", "=".repeat(43), NONCE.substring(1) + "=",
                MARKER + "A".repeat(43 - MARKER.length() - 1) + "!");
    }

    /** A DeliveryStart payload with one of the two sizes given as {@code literal}, and a DeliveryAck with it. */
    private static List<String> sizeJson(String literal) {
        String start = rawObject(START).toString();
        return List.of(start.replace("\"programSize\":123456", "\"programSize\":" + literal),
                start.replace("\"envelopeSize\":124000", "\"envelopeSize\":" + literal),
                "{\"received\":" + literal + "}");
    }

    private static int type(String json) {
        return json.startsWith("{\"received\"") ? 0x15 : 0x11;
    }

    /** {@code m} with one component replaced, through the canonical constructor. */
    static ChannelMessage with(ChannelMessage m, String field, Object value) {
        try {
            RecordComponent[] cs = m.getClass().getRecordComponents();
            Object[] args = new Object[cs.length];
            Class<?>[] types = new Class<?>[cs.length];
            boolean found = false;
            for (int i = 0; i < cs.length; i++) {
                types[i] = cs[i].getType();
                found |= cs[i].getName().equals(field);
                args[i] = cs[i].getName().equals(field) ? value : cs[i].getAccessor().invoke(m);
            }
            if (!found) {
                throw new IllegalArgumentException("no field " + field);
            }
            return (ChannelMessage) m.getClass().getDeclaredConstructor(types).newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The JSON object of a JSON-type message's fields, in record order, without any validation. */
    static ObjectNode rawObject(ChannelMessage m) {
        ObjectNode o = Json.mapper().createObjectNode();
        try {
            for (RecordComponent c : m.getClass().getRecordComponents()) {
                Object v = c.getAccessor().invoke(m);
                if (v instanceof Long l) {
                    o.put(c.getName(), l);
                } else {
                    o.put(c.getName(), (String) v);
                }
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        return o;
    }

    static byte[] rawJson(ChannelMessage m) {
        return rawObject(m).toString().getBytes(StandardCharsets.UTF_8);
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    /** {@code n} varied bytes, different for each {@code seed}. */
    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed * 17 + (i >> 8));
        }
        return b;
    }

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }
}
