package dev.progdist.protocol.channel;

import static dev.progdist.protocol.channel.ChannelCodecException.FRAME_MAGIC;
import static dev.progdist.protocol.channel.ChannelCodecException.FRAME_TOO_LARGE;
import static dev.progdist.protocol.channel.ChannelCodecException.FRAME_TRUNCATED;
import static dev.progdist.protocol.channel.ChannelCodecException.FRAME_TYPE;
import static dev.progdist.protocol.channel.ChannelCodecException.FRAME_VERSION;
import static dev.progdist.protocol.channel.ChannelCodecException.PAYLOAD_INVALID;
import static dev.progdist.protocol.channel.ChannelCodecException.PAYLOAD_MALFORMED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.channel.ChannelMessage.Close;
import dev.progdist.protocol.channel.ChannelMessage.ErrorMessage;
import dev.progdist.protocol.channel.ChannelMessage.Hello;
import dev.progdist.protocol.channel.ChannelMessage.HelloAck;
import dev.progdist.protocol.wire.TrpStatus.InstalledProgram;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChannelCodecTest {

    private static final Hello HELLO = new Hello("trp-001", List.of(
            new InstalledProgram("calc", "1.2.0"), new InstalledProgram("org.example.tool", "2.0.0-rc.1+build.5")));
    private static final Hello HELLO_EMPTY = new Hello("TRP_42", List.of());
    private static final HelloAck ACK = new HelloAck("q1w2E3r4T5y6U7i8O9p0-_", "trp-001", "alice@example.org");
    private static final ErrorMessage ERROR = new ErrorMessage("device-not-owned",
            "device trp-001 is not registered to user alice – \u00e9\u4e2d\ud83d\ude00 \"quoted\" \\ back");
    private static final Close CLOSE = new Close();
    private static final List<ChannelMessage> ALL = List.of(HELLO, HELLO_EMPTY, ACK, ERROR, CLOSE);

    /** A marker that must never reappear in an exception message. */
    private static final String MARKER = "SECRETMARKER";

    // ------------------------------------------------------------------ format and round trip

    @Test
    void eachTypeRoundTrips() {
        for (ChannelMessage m : ALL) {
            ChannelCodec.Decoder d = new ChannelCodec.Decoder();
            d.feed(ChannelCodec.encode(m));
            assertThat(d.next()).isEqualTo(m);
            assertThat(d.next()).isNull();
            assertThat(d.hasPartialFrame()).isFalse();
            assertThat(d.bufferedBytes()).isZero();
            d.finish();
        }
    }

    @Test
    void frameLayoutIsPinned() {
        assertThat(HexFormat.of().formatHex(ChannelCodec.encode(CLOSE))).isEqualTo("5044010400000000");
        byte[] hello = ChannelCodec.encode(new Hello("trp-1", List.of(new InstalledProgram("p", "1"))));
        String json = "{\"deviceId\":\"trp-1\",\"installed\":[{\"programId\":\"p\",\"version\":\"1\"}]}";
        assertThat(Arrays.copyOfRange(hello, 0, 8))
                .containsExactly(0x50, 0x44, 0x01, 0x01, 0, 0, 0, json.length());
        assertThat(new String(hello, 8, hello.length - 8, StandardCharsets.UTF_8)).isEqualTo(json);
        byte[] ack = ChannelCodec.encode(new HelloAck("s", "d", "u"));
        assertThat(ack[3]).isEqualTo((byte) 0x02);
        assertThat(new String(ack, 8, ack.length - 8, StandardCharsets.UTF_8))
                .isEqualTo("{\"sessionId\":\"s\",\"deviceId\":\"d\",\"userId\":\"u\"}");
        byte[] err = ChannelCodec.encode(new ErrorMessage("c", "m"));
        assertThat(err[3]).isEqualTo((byte) 0x03);
        assertThat(new String(err, 8, err.length - 8, StandardCharsets.UTF_8))
                .isEqualTo("{\"code\":\"c\",\"message\":\"m\"}");
    }

    @Test
    void typeTableIsStable() {
        assertThat(MessageType.values()).extracting(MessageType::code)
                .containsExactly(1, 2, 3, 4, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15);
        assertThat(MessageType.values()).extracting(MessageType::maxPayload)
                .containsExactly(65536, 1024, 4096, 0, 1024, 8192, 16376, 256, 4096, 256);
        assertThat(MessageType.values()).extracting(MessageType::minPayload)
                .containsExactly(0, 0, 0, 0, 0, 0, 1, 0, 0, 0);
        assertThat(MessageType.values()).extracting(MessageType::label).containsExactly("hello", "hello-ack", "error",
                "close", "fetch", "delivery-start", "delivery-chunk", "delivery-end", "receipt", "delivery-ack");
        // a full DeliveryChunk frame is exactly one TLS record of plaintext
        assertThat(ChannelCodec.HEADER_SIZE + MessageType.DELIVERY_CHUNK.maxPayload()).isEqualTo(16384);
        assertThat(MessageType.DELIVERY_CHUNK.maxPayload()).isEqualTo(ChannelMessage.MAX_CHUNK);
        assertThat(MessageType.fromCode(0)).isEmpty();
        assertThat(MessageType.fromCode(0x05)).isEmpty();
        assertThat(MessageType.fromCode(0x16)).isEmpty();
        assertThat(MessageType.fromCode(0x112)).contains(MessageType.DELIVERY_CHUNK); // taken as an unsigned byte
        for (ChannelMessage m : ALL) {
            assertThat(MessageType.fromCode(m.type().code())).contains(m.type());
        }
    }

    @Test
    void byteAtATimeDecodesTheSame() {
        byte[] stream = concat(ALL);
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        List<ChannelMessage> out = new ArrayList<>();
        for (int i = 0; i < stream.length; i++) {
            d.feed(stream, i, 1);
            for (ChannelMessage m; (m = d.next()) != null;) {
                out.add(m);
            }
            assertThat(d.hasPartialFrame()).isEqualTo(d.bufferedBytes() > 0);
        }
        assertThat(out).isEqualTo(ALL);
        assertThat(d.hasPartialFrame()).isFalse();
    }

    @Test
    void everySplitPointDecodesTheSame() {
        byte[] stream = concat(List.of(HELLO, ACK, CLOSE));
        for (int cut = 0; cut <= stream.length; cut++) {
            ChannelCodec.Decoder d = new ChannelCodec.Decoder();
            List<ChannelMessage> out = new ArrayList<>();
            d.feed(stream, 0, cut);
            drain(d, out);
            d.feed(stream, cut, stream.length - cut);
            drain(d, out);
            assertThat(out).as("cut at %d", cut).containsExactly(HELLO, ACK, CLOSE);
        }
    }

    @Test
    void severalFramesInOneFeed() {
        byte[] stream = concat(List.of(CLOSE, ERROR, CLOSE, ACK, CLOSE));
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        d.feed(stream);
        List<ChannelMessage> out = new ArrayList<>();
        drain(d, out);
        assertThat(out).containsExactly(CLOSE, ERROR, CLOSE, ACK, CLOSE);
    }

    // ------------------------------------------------------------------ header checks

    @Test
    void oversizedDeclaredLengthIsRefusedFromTheHeaderAlone() {
        long[][] cases = {{0x01, 65537}, {0x02, 1025}, {0x03, 4097}, {0x04, 1}, {0x01, 0xFFFFFFFFL},
            {0x01, 0x80000000L}, {0x10, 1025}, {0x11, 8193}, {0x12, 16377}, {0x13, 257}, {0x14, 4097},
            {0x15, 257}, {0x12, 65536}, {0x12, 0xFFFFFFFFL}};
        for (long[] c : cases) {
            ChannelCodec.Decoder d = new ChannelCodec.Decoder();
            byte[] header = header(0x50, 0x44, 1, (int) c[0], c[1]);
            d.feed(header, 0, 7);
            assertThat(d.next()).isNull();
            assertCode(() -> d.feed(header, 7, 1), FRAME_TOO_LARGE);
            assertThat(d.bufferedBytes()).isZero();
        }
        // the largest allowed lengths are accepted, and the payload is awaited
        for (MessageType t : MessageType.values()) {
            ChannelCodec.Decoder d = new ChannelCodec.Decoder();
            d.feed(header(0x50, 0x44, 1, t.code(), t.maxPayload()));
            if (t.maxPayload() == 0) {
                assertThat(d.next()).isEqualTo(new Close());
            } else {
                assertThat(d.next()).isNull();
                assertThat(d.hasPartialFrame()).isTrue();
            }
        }
    }

    @Test
    void oversizedDeclaredLengthIsRefusedBeforeTheTypesOwnLimitIsBuffered() {
        // a Close frame declaring 1 byte is refused at its header, whatever follows
        byte[] stream = concat(List.of(HELLO));
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        d.feed(stream);
        assertThat(d.next()).isEqualTo(HELLO);
        byte[] bad = header(0x50, 0x44, 1, 0x04, 1);
        d.feed(bad, 0, 4);
        assertCode(() -> d.feed(bad, 4, 4), FRAME_TOO_LARGE);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x05, 0x0f, 0x16, 0x17, 0x7f, 0x80, 0xff})
    void unknownTypeIsRefusedAtTheTypeByte(int type) {
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        byte[] h = header(0x50, 0x44, 1, type, 0);
        d.feed(h, 0, 3);
        assertThat(d.next()).isNull();
        assertCode(() -> d.feed(h, 3, 1), FRAME_TYPE);
    }

    @Test
    void unknownTypeIsNamedInTheMessage() {
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        assertThatThrownBy(() -> d.feed(header(0x50, 0x44, 1, 0x16, 0)))
                .hasMessage("unknown message type 0x16");
    }

    @Test
    void badMagicIsRefusedAtTheFirstWrongByte() {
        ChannelCodec.Decoder d1 = new ChannelCodec.Decoder();
        assertCode(() -> d1.feed(new byte[] {0x51}), FRAME_MAGIC);
        ChannelCodec.Decoder d2 = new ChannelCodec.Decoder();
        d2.feed(new byte[] {0x50});
        assertCode(() -> d2.feed(new byte[] {0x45}), FRAME_MAGIC);
        // e.g. someone speaking HTTP into the channel
        ChannelCodec.Decoder d3 = new ChannelCodec.Decoder();
        assertCode(() -> d3.feed("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)), FRAME_MAGIC);
        // a bad magic after a good frame
        ChannelCodec.Decoder d4 = new ChannelCodec.Decoder();
        byte[] stream = concat(List.of(CLOSE));
        d4.feed(stream);
        d4.feed(new byte[] {0x00});
        assertThat(d4.next()).isEqualTo(CLOSE);
        assertCode(d4::next, FRAME_MAGIC);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2, 0x7f, 0xff})
    void unsupportedVersionIsRefusedAtTheVersionByte(int version) {
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        d.feed(new byte[] {0x50, 0x44});
        assertCode(() -> d.feed(new byte[] {(byte) version}), FRAME_VERSION);
    }

    @Test
    void truncatedFrameIsReported() {
        byte[] hello = ChannelCodec.encode(HELLO);
        for (int n : new int[] {1, 3, 7, 8, hello.length - 1}) {
            ChannelCodec.Decoder d = new ChannelCodec.Decoder();
            d.feed(hello, 0, n);
            assertThat(d.next()).isNull();
            assertThat(d.hasPartialFrame()).as("%d bytes", n).isTrue();
            assertCode(d::finish, FRAME_TRUNCATED);
        }
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        d.feed(hello);
        assertThat(d.next()).isEqualTo(HELLO);
        assertThat(d.hasPartialFrame()).isFalse();
        d.finish();
    }

    // ------------------------------------------------------------------ payload checks

    @ParameterizedTest
    @ValueSource(strings = {
        "", " ", "{", "{\"deviceId\":", "{\"deviceId\":\"a\",\"installed\":[]", "[]", "\"x\"", "null", "1",
        "{\"deviceId\":\"a\",\"installed\":[]} {}", "{\"deviceId\":\"a\",\"installed\":[]}]",
        "{\"deviceId\":\"a\",\"installed\":[],\"deviceId\":\"b\"}", "{'deviceId':'a','installed':[]}",
        "{\"deviceId\":1,\"installed\":[]}", "{\"deviceId\":true,\"installed\":[]}", "{\"deviceId\":[\"a\"],\"installed\":[]}",
        "{\"deviceId\":\"a\",\"installed\":{}}", "{\"deviceId\":\"a\",\"installed\":\"p\"}",
        "{\"deviceId\":\"a\",\"installed\":[1]}", "{\"deviceId\":\"a\",\"installed\":[null]}",
        "{\"deviceId\":\"a\",\"installed\":[[\"p\",\"1\"]]}",
        "{\"deviceId\":\"a\",\"installed\":[{\"programId\":\"p\",\"version\":1}]}",
        "\ufeff{\"deviceId\":\"a\",\"installed\":[]}", "{\"deviceId\":\"a\",\"installed\":[]}/*c*/"})
    void malformedHelloPayloadIsRefused(String json) {
        assertCode(() -> decode(0x01, json.getBytes(StandardCharsets.UTF_8)), PAYLOAD_MALFORMED);
    }

    @Test
    void trailingWhiteSpaceIsAllowed() {
        assertThat(decode(0x01, "{\"deviceId\":\"a\",\"installed\":[]} \n".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new Hello("a", List.of()));
    }

    @Test
    void invalidUtf8IsRefused() {
        // each inside an otherwise valid Error payload, where a replacement character would be accepted
        byte[][] bad = {
            {(byte) 0xC3, 0x28}, // broken 2-byte sequence
            {(byte) 0xC0, (byte) 0xAF}, // overlong '/'
            {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, // overlong '/' in 3 bytes
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a surrogate encoded directly (CESU-8)
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // beyond U+10FFFF
            {(byte) 0xFF},
            {(byte) 0xE4, (byte) 0xB8}, // truncated 3-byte sequence
        };
        byte[] prefix = "{\"code\":\"c\",\"message\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] suffix = "\"}".getBytes(StandardCharsets.UTF_8);
        for (byte[] b : bad) {
            ByteArrayOutputStream p = new ByteArrayOutputStream();
            p.writeBytes(prefix);
            p.writeBytes(b);
            p.writeBytes(suffix);
            assertCode(() -> decode(0x03, p.toByteArray()), PAYLOAD_MALFORMED);
        }
        // the same frame with the replacement character itself is fine
        assertThat(decode(0x03, "{\"code\":\"c\",\"message\":\"\ufffd\"}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new ErrorMessage("c", "\ufffd"));
        // UTF-16 and UTF-32, which Jackson would otherwise detect and accept
        for (java.nio.charset.Charset cs : List.of(StandardCharsets.UTF_16BE, StandardCharsets.UTF_16LE,
                StandardCharsets.UTF_16, java.nio.charset.Charset.forName("UTF-32BE"))) {
            byte[] p = "{\"code\":\"c\",\"message\":\"m\"}".getBytes(cs);
            assertCode(() -> decode(0x03, p), PAYLOAD_MALFORMED);
        }
    }

    @Test
    void unknownFieldIsRefusedWithoutEchoingItsName() {
        String top = "{\"deviceId\":\"a\",\"installed\":[],\"" + MARKER + "\":\"x\"}";
        String nested = "{\"deviceId\":\"a\",\"installed\":[{\"programId\":\"p\",\"version\":\"1\",\"" + MARKER
                + "\":0}]}";
        String ack = "{\"sessionId\":\"s\",\"deviceId\":\"d\",\"userId\":\"u\",\"role\":\"operator\"}";
        String error = "{\"code\":\"c\",\"message\":\"m\",\"" + MARKER + "\":null}";
        assertCode(() -> decode(0x01, top.getBytes(StandardCharsets.UTF_8)), PAYLOAD_MALFORMED);
        assertCode(() -> decode(0x01, nested.getBytes(StandardCharsets.UTF_8)), PAYLOAD_MALFORMED);
        assertCode(() -> decode(0x02, ack.getBytes(StandardCharsets.UTF_8)), PAYLOAD_MALFORMED);
        assertCode(() -> decode(0x03, error.getBytes(StandardCharsets.UTF_8)), PAYLOAD_MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"installed\":[]}", "{\"deviceId\":\"a\"}", "{}", "{\"deviceId\":null,\"installed\":[]}",
        "{\"deviceId\":\"a\",\"installed\":null}", "{\"deviceId\":\"a\",\"installed\":[{\"programId\":\"p\"}]}",
        "{\"deviceId\":\"a\",\"installed\":[{\"version\":\"1\"}]}",
        "{\"deviceId\":\"a\",\"installed\":[{\"programId\":null,\"version\":\"1\"}]}"})
    void missingOrNullHelloFieldIsRefused(String json) {
        assertCode(() -> decode(0x01, json.getBytes(StandardCharsets.UTF_8)), PAYLOAD_MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"deviceId\":\"d\",\"userId\":\"u\"}", "{\"sessionId\":\"s\",\"userId\":\"u\"}",
        "{\"sessionId\":\"s\",\"deviceId\":\"d\"}", "{\"sessionId\":\"s\",\"deviceId\":\"d\",\"userId\":null}"})
    void missingOrNullHelloAckFieldIsRefused(String json) {
        assertCode(() -> decode(0x02, json.getBytes(StandardCharsets.UTF_8)), PAYLOAD_MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"code\":\"c\"}", "{\"message\":\"m\"}", "{\"code\":\"c\",\"message\":null}"})
    void missingOrNullErrorFieldIsRefused(String json) {
        assertCode(() -> decode(0x03, json.getBytes(StandardCharsets.UTF_8)), PAYLOAD_MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-a", "_a", "a b", "a.b", "../x", "\u00e4", "a\n", MARKER + "/x",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void invalidDeviceIdIsRefusedBothWays(String id) {
        assertCode(() -> ChannelCodec.encode(new Hello(id, List.of())), PAYLOAD_INVALID);
        assertCode(() -> ChannelCodec.encode(new HelloAck("s", id, "u")), PAYLOAD_INVALID);
        assertCode(() -> decode(0x01, json("{\"deviceId\":%s,\"installed\":[]}", id)), PAYLOAD_INVALID);
        assertCode(() -> decode(0x02, json("{\"sessionId\":\"s\",\"deviceId\":%s,\"userId\":\"u\"}", id)),
                PAYLOAD_INVALID);
    }

    @Test
    void overlongErrorMessageIsRefusedBothWays() {
        String max = "\u00e9".repeat(1024);
        assertThat(roundTrip(new ErrorMessage("c", max))).isEqualTo(new ErrorMessage("c", max));
        String over = "x".repeat(1025);
        assertCode(() -> ChannelCodec.encode(new ErrorMessage("c", over)), PAYLOAD_INVALID);
        assertCode(() -> decode(0x03, json("{\"code\":\"c\",\"message\":%s}", over)), PAYLOAD_INVALID);
    }

    @Test
    void longestErrorFitsItsFrame() {
        // 1024 chars of 3 bytes each in UTF-8, the longest any allowed char encodes to
        ErrorMessage longest = new ErrorMessage("a".repeat(64), "\u4e2d".repeat(1024));
        assertThat(ChannelCodec.encode(longest).length - ChannelCodec.HEADER_SIZE)
                .isLessThanOrEqualTo(MessageType.ERROR.maxPayload());
        assertThat(roundTrip(longest)).isEqualTo(longest);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Device-Not-Owned", "device_not_owned", "a b", "a.b", "\u00e4",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void invalidErrorCodeIsRefusedBothWays(String code) {
        assertCode(() -> ChannelCodec.encode(new ErrorMessage(code, "m")), PAYLOAD_INVALID);
        assertCode(() -> decode(0x03, json("{\"code\":%s,\"message\":\"m\"}", code)), PAYLOAD_INVALID);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\nb", "a\rb", "\u0000", "\t", "\u007f", "\u009b", "\ud800", "a\udc00b", "\udc00\ud800"})
    void controlCharactersAndBrokenSurrogatesInErrorMessageAreRefusedBothWays(String message) {
        assertCode(() -> ChannelCodec.encode(new ErrorMessage("c", message)), PAYLOAD_INVALID);
        assertCode(() -> decode(0x03, json("{\"code\":\"c\",\"message\":%s}", message)), PAYLOAD_INVALID);
    }

    @Test
    void invalidHelloAckValuesAreRefusedBothWays() {
        for (HelloAck bad : List.of(new HelloAck("", "d", "u"), new HelloAck("a/b", "d", "u"),
                new HelloAck("s".repeat(65), "d", "u"), new HelloAck("s", "d", "-u"), new HelloAck("s", "d", "u u"),
                new HelloAck("s", "d", "u".repeat(65)))) {
            assertCode(() -> ChannelCodec.encode(bad), PAYLOAD_INVALID);
            String json = "{\"sessionId\":\"" + bad.sessionId() + "\",\"deviceId\":\"d\",\"userId\":\"" + bad.userId()
                    + "\"}";
            assertCode(() -> decode(0x02, json.getBytes(StandardCharsets.UTF_8)), PAYLOAD_INVALID);
        }
    }

    @Test
    void invalidInstalledProgramsAreRefusedBothWays() {
        for (InstalledProgram p : List.of(new InstalledProgram("", "1"), new InstalledProgram("p", ""),
                new InstalledProgram("../p", "1"), new InstalledProgram("p", "1 2"), new InstalledProgram("p/q", "1"),
                new InstalledProgram("p".repeat(65), "1"), new InstalledProgram("p", "1".repeat(65)))) {
            assertCode(() -> ChannelCodec.encode(new Hello("d", List.of(p))), PAYLOAD_INVALID);
            String json = "{\"deviceId\":\"d\",\"installed\":[{\"programId\":\"" + p.programId() + "\",\"version\":\""
                    + p.version() + "\"}]}";
            assertCode(() -> decode(0x01, json.getBytes(StandardCharsets.UTF_8)), PAYLOAD_INVALID);
        }
    }

    @Test
    void installedListIsBounded() {
        List<InstalledProgram> max = IntStream.range(0, 1024).mapToObj(i -> new InstalledProgram("p" + i, "1")).toList();
        assertThat(roundTrip(new Hello("d", max))).isEqualTo(new Hello("d", max));
        List<InstalledProgram> over = IntStream.range(0, 1025).mapToObj(i -> new InstalledProgram("p" + i, "1"))
                .toList();
        assertCode(() -> ChannelCodec.encode(new Hello("d", over)), PAYLOAD_INVALID);
        StringBuilder json = new StringBuilder("{\"deviceId\":\"d\",\"installed\":[");
        for (int i = 0; i < 1025; i++) {
            json.append(i == 0 ? "" : ",").append("{\"programId\":\"p").append(i).append("\",\"version\":\"1\"}");
        }
        json.append("]}");
        assertCode(() -> decode(0x01, json.toString().getBytes(StandardCharsets.UTF_8)), PAYLOAD_INVALID);
    }

    @Test
    void helloThatDoesNotFitItsFrameIsRefusedOnEncode() {
        List<InstalledProgram> big = IntStream.range(0, 1024)
                .mapToObj(i -> new InstalledProgram("p".repeat(60) + i, "v".repeat(64))).toList();
        assertCode(() -> ChannelCodec.encode(new Hello("d", big)), FRAME_TOO_LARGE);
    }

    @Test
    void missingFieldsAreRefusedOnEncode() {
        List<InstalledProgram> withNull = new ArrayList<>();
        withNull.add(null);
        for (ChannelMessage bad : List.of(new Hello(null, List.of()), new Hello("d", null), new Hello("d", withNull),
                new Hello("d", List.of(new InstalledProgram(null, "1"))),
                new Hello("d", List.of(new InstalledProgram("p", null))), new HelloAck(null, "d", "u"),
                new HelloAck("s", null, "u"), new HelloAck("s", "d", null), new ErrorMessage(null, "m"),
                new ErrorMessage("c", null))) {
            assertCode(() -> ChannelCodec.encode(bad), PAYLOAD_INVALID);
        }
    }

    @Test
    void helloKeepsAnUnmodifiableCopy() {
        List<InstalledProgram> list = new ArrayList<>(List.of(new InstalledProgram("p", "1")));
        Hello h = new Hello("d", list);
        list.clear();
        assertThat(h.installed()).hasSize(1);
        assertThatThrownBy(() -> h.installed().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void exceptionMessagesNeverQuoteThePayload() {
        List<byte[]> payloads = List.of(
                json("{\"deviceId\":%s,\"installed\":[]}", "x " + MARKER),
                ("{\"deviceId\":\"a\",\"installed\":[]," + MARKER + "}").getBytes(StandardCharsets.UTF_8),
                ("{\"deviceId\":\"" + MARKER + "\" \"installed\":[]}").getBytes(StandardCharsets.UTF_8),
                ("[\"" + MARKER + "\"]").getBytes(StandardCharsets.UTF_8),
                (MARKER).getBytes(StandardCharsets.UTF_8),
                json("{\"code\":%s,\"message\":\"m\"}", MARKER),
                json("{\"code\":\"c\",\"message\":%s}", MARKER + "\n"));
        for (byte[] p : payloads) {
            for (int type : new int[] {0x01, 0x03}) {
                assertThatThrownBy(() -> decode(type, p)).isInstanceOfSatisfying(ChannelCodecException.class, e -> {
                    assertThat(e.getMessage()).doesNotContain(MARKER);
                    assertThat(e.getCause()).isNull();
                    // usable as-is in an Error message to the peer
                    ChannelCodec.encode(new ErrorMessage(e.code(), e.getMessage()));
                });
            }
        }
    }

    // ------------------------------------------------------------------ decoder state

    @Test
    void decoderIsPoisonedAfterAFailure() {
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        d.feed(ChannelCodec.encode(ACK));
        byte[] bad = frame(0x03, "{\"code\":\"c\"}".getBytes(StandardCharsets.UTF_8));
        d.feed(bad);
        assertThat(d.next()).isEqualTo(ACK);
        assertCode(d::next, PAYLOAD_MALFORMED);
        assertThat(d.bufferedBytes()).isZero();
        // nothing decodes any more, not even a valid frame
        assertCode(() -> d.feed(ChannelCodec.encode(CLOSE)), PAYLOAD_MALFORMED);
        assertCode(d::next, PAYLOAD_MALFORMED);
        assertCode(d::hasPartialFrame, PAYLOAD_MALFORMED);
        assertCode(d::finish, PAYLOAD_MALFORMED);
        assertThat(d.bufferedBytes()).isZero();

        ChannelCodec.Decoder h = new ChannelCodec.Decoder();
        assertCode(() -> h.feed(header(0x50, 0x44, 9, 1, 0)), FRAME_VERSION);
        assertCode(() -> h.feed(ChannelCodec.encode(CLOSE)), FRAME_VERSION);
        assertCode(h::next, FRAME_VERSION);

        ChannelCodec.Decoder t = new ChannelCodec.Decoder();
        t.feed(new byte[] {0x50});
        assertCode(t::finish, FRAME_TRUNCATED);
        assertCode(() -> t.feed(new byte[] {0x44}), FRAME_TRUNCATED);
    }

    @Test
    void feedContractIsEnforcedWithoutPoisoning() {
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        byte[] big = new byte[ChannelCodec.MAX_FEED + 1];
        assertThatThrownBy(() -> d.feed(big)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.feed(big, 10, big.length)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> d.feed(big, -1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> d.feed(null, 0, 0)).isInstanceOf(NullPointerException.class);
        d.feed(big, 0, 0);
        assertThat(d.hasPartialFrame()).isFalse();

        // a caller that never calls next() hits the cap; the decoder is unchanged and still usable
        byte[] closes = concat(IntStream.range(0, ChannelCodec.MAX_FEED / 8).mapToObj(i -> (ChannelMessage) CLOSE)
                .toList());
        assertThat(closes).hasSize(ChannelCodec.MAX_FEED);
        int fed = 0;
        while (fed + closes.length <= ChannelCodec.MAX_BUFFERED) {
            d.feed(closes);
            fed += closes.length;
        }
        int held = d.bufferedBytes();
        assertThat(held).isEqualTo(fed).isLessThanOrEqualTo(ChannelCodec.MAX_BUFFERED);
        assertThatThrownBy(() -> d.feed(closes)).isInstanceOf(IllegalStateException.class);
        assertThat(d.bufferedBytes()).isEqualTo(held);
        int n = 0;
        while (d.next() != null) {
            n++;
        }
        assertThat(n).isEqualTo(held / 8);
        d.finish();
    }

    @Test
    void bufferStaysWithinTheFrameInProgressPlusOneFeed() {
        // a maximal Hello payload arriving in TLS-record-sized pieces
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        byte[] payload = new byte[MessageType.HELLO.maxPayload()];
        Arrays.fill(payload, (byte) ' ');
        byte[] f = frame(0x01, payload);
        int off = 0;
        while (off < f.length) {
            int n = Math.min(ChannelCodec.MAX_FEED, f.length - off);
            d.feed(f, off, n);
            off += n;
            assertThat(d.bufferedBytes()).isLessThanOrEqualTo(ChannelCodec.HEADER_SIZE + MessageType.HELLO.maxPayload());
            if (off < f.length) {
                assertThat(d.next()).isNull();
            }
        }
        assertCode(d::next, PAYLOAD_MALFORMED); // all white space is no JSON object
    }

    // ------------------------------------------------------------------ helpers

    static void assertCode(ThrowingCallable call, String code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ChannelCodecException.class,
                e -> assertThat(e.code()).isEqualTo(code));
    }

    static ChannelMessage roundTrip(ChannelMessage m) {
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        byte[] f = ChannelCodec.encode(m);
        List<ChannelMessage> out = new ArrayList<>();
        for (int off = 0; off < f.length; off += ChannelCodec.MAX_FEED) {
            d.feed(f, off, Math.min(ChannelCodec.MAX_FEED, f.length - off));
            drain(d, out);
        }
        assertThat(out).hasSize(1);
        return out.get(0);
    }

    /** Decodes one frame of {@code type} around {@code payload}, with a decoder of its own. */
    static ChannelMessage decode(int type, byte[] payload) {
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        byte[] f = frame(type, payload);
        List<ChannelMessage> out = new ArrayList<>();
        for (int off = 0; off < f.length; off += ChannelCodec.MAX_FEED) {
            d.feed(f, off, Math.min(ChannelCodec.MAX_FEED, f.length - off));
            drain(d, out);
        }
        assertThat(out).hasSize(1);
        return out.get(0);
    }

    /**
     * {@code template} with {@code %s} replaced by {@code value} as a JSON string literal, all
     * non-ASCII as backslash-u escapes so that even unpaired surrogates reach the decoder.
     */
    static byte[] json(String template, String value) {
        return String.format(template, jsonString(value)).getBytes(StandardCharsets.UTF_8);
    }

    /** {@code value} as a JSON string literal in ASCII: non-ASCII and controls as backslash-u escapes. */
    static String jsonString(String value) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            if (c == '"' || c == '\\') {
                q.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                q.append(String.format("\\u%04x", (int) c));
            } else {
                q.append(c);
            }
        }
        q.append('"');
        return q.toString();
    }

    static void drain(ChannelCodec.Decoder d, List<ChannelMessage> out) {
        for (ChannelMessage m; (m = d.next()) != null;) {
            out.add(m);
        }
    }

    static byte[] concat(List<? extends ChannelMessage> messages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ChannelMessage m : messages) {
            out.writeBytes(ChannelCodec.encode(m));
        }
        return out.toByteArray();
    }

    static byte[] header(int m0, int m1, int version, int type, long length) {
        return new byte[] {(byte) m0, (byte) m1, (byte) version, (byte) type, (byte) (length >>> 24),
            (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
    }

    static byte[] frame(int type, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header(0x50, 0x44, 1, type, payload.length));
        out.writeBytes(payload);
        return out.toByteArray();
    }
}
