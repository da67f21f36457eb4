package dev.progdist.protocol.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.progdist.protocol.wire.TrpStatus.InstalledProgram;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the second-path codec: valid messages survive any chunking, and hostile byte
 * streams end in decoded valid messages or a {@link ChannelCodecException}, never in another
 * exception or in memory beyond the frame in progress plus one feed.
 */
class ChannelCodecPropertiesTest {

    private static final Set<String> CODES = Set.of(ChannelCodecException.FRAME_MAGIC,
            ChannelCodecException.FRAME_VERSION, ChannelCodecException.FRAME_TYPE,
            ChannelCodecException.FRAME_TOO_LARGE, ChannelCodecException.PAYLOAD_MALFORMED,
            ChannelCodecException.PAYLOAD_INVALID);

    // ------------------------------------------------------------------ properties

    @Property
    void validMessagesRoundTrip(@ForAll("messages") ChannelMessage m) {
        Statistics.label("type").collect(m.type());
        Statistics.label("type").coverage(c -> {
            for (MessageType t : ALL_TYPES) {
                c.check(t).count(n -> n > 0);
            }
        });
        byte[] frame = ChannelCodec.encode(m);
        ChannelMessage decoded = decodeAll(frame, List.of(ChannelCodec.MAX_FEED)).messages().get(0);
        assertThat(decoded).isEqualTo(m);
        // the encoding is canonical
        assertThat(ChannelCodec.encode(decoded)).isEqualTo(frame);
    }

    @Property
    void validStreamsDecodeTheSameUnderAnyChunking(@ForAll("messageLists") List<ChannelMessage> messages,
            @ForAll("chunkSizes") List<Integer> chunks) {
        byte[] stream = ChannelCodecTest.concat(messages);
        Outcome out = decodeAll(stream, chunks);
        assertThat(out.failure()).isNull();
        assertThat(out.messages()).isEqualTo(messages);
        assertThat(out.partial()).isFalse();
        Statistics.label("has delivery").collect(messages.stream().anyMatch(m -> m.type().code() >= 0x10));
        Statistics.label("has delivery").coverage(c -> c.check(true).percentage(p -> p > 50));
    }

    @Property
    void arbitraryBytesDecodeOrFailCleanly(@ForAll @Size(max = 600) byte[] bytes, @ForAll boolean prefixed,
            @ForAll("chunkSizes") List<Integer> chunks) {
        byte[] stream = bytes;
        if (prefixed) { // past the magic and version, so the type, length and payload checks are reached
            stream = new byte[bytes.length + 3];
            stream[0] = 0x50;
            stream[1] = 0x44;
            stream[2] = 1;
            System.arraycopy(bytes, 0, stream, 3, bytes.length);
        }
        checkHostile(stream, chunks);
    }

    @Property
    void hostileStreamsDecodeOrFailCleanly(@ForAll("hostileStreams") byte[] stream,
            @ForAll("chunkSizes") List<Integer> chunks) {
        Outcome out = checkHostile(stream, chunks);
        // the generator must keep reaching every check, else this property would prove little
        Statistics.label("outcome").collect(out.failure() != null ? out.failure().code()
                : out.partial() ? ChannelCodecException.FRAME_TRUNCATED : "clean");
        Statistics.label("decoded").collect(out.messages().isEmpty() ? "none" : "some");
        Statistics.label("outcome").coverage(c -> {
            for (String code : CODES) {
                c.check(code).count(n -> n > 0);
            }
            c.check(ChannelCodecException.FRAME_TRUNCATED).count(n -> n > 0);
            c.check("clean").count(n -> n > 0);
        });
        Statistics.label("decoded").coverage(c -> c.check("some").percentage(p -> p > 20));
    }

    /**
     * Fed in {@code chunks}, {@code stream} yields only valid messages, then at most one
     * ChannelCodecException (nothing else may escape: the property fails on any other throwable);
     * the decoder never holds more than the frame in progress plus one feed; and the outcome does
     * not depend on the chunking.
     */
    private static Outcome checkHostile(byte[] stream, List<Integer> chunks) {
        Outcome out = decodeAll(stream, chunks);
        for (ChannelMessage m : out.messages()) {
            // a decoded message is valid: it encodes, and decodes back to itself
            assertThat(decodeAll(ChannelCodec.encode(m), List.of(ChannelCodec.MAX_FEED)).messages())
                    .containsExactly(m);
        }
        if (out.failure() != null) {
            assertThat(out.failure().code()).isIn(CODES);
            assertThat(out.failure().getCause()).isNull();
            // the message can go to the peer as-is
            ChannelCodec.encode(new ErrorMessage(out.failure().code(), out.failure().getMessage()));
        }
        Outcome reference = decodeAll(stream, List.of(ChannelCodec.MAX_FEED));
        assertThat(out.messages()).isEqualTo(reference.messages());
        assertThat(out.failure() == null ? null : out.failure().code())
                .isEqualTo(reference.failure() == null ? null : reference.failure().code());
        assertThat(out.partial()).isEqualTo(reference.partial());
        return out;
    }

    // ------------------------------------------------------------------ driver

    record Outcome(List<ChannelMessage> messages, ChannelCodecException failure, boolean partial) {
    }

    /** Feeds {@code stream} in pieces of the given sizes (cycled), draining after each, checking the bounds. */
    private static Outcome decodeAll(byte[] stream, List<Integer> chunks) {
        ChannelCodec.Decoder d = new ChannelCodec.Decoder();
        List<ChannelMessage> messages = new ArrayList<>();
        int fed = 0;
        int i = 0;
        try {
            while (fed < stream.length) {
                int n = Math.min(chunks.get(i++ % chunks.size()), stream.length - fed);
                d.feed(stream, fed, n);
                fed += n;
                assertThat(d.bufferedBytes()).isLessThanOrEqualTo(ChannelCodec.MAX_BUFFERED);
                ChannelCodecTest.drain(d, messages);
                assertBoundedByFrameInProgress(d, stream, fed);
            }
        } catch (ChannelCodecException e) {
            assertPoisoned(d, e.code());
            return new Outcome(messages, e, false);
        }
        boolean partial = d.hasPartialFrame();
        if (partial) {
            assertThatThrownBy(d::finish).isInstanceOfSatisfying(ChannelCodecException.class,
                    e -> assertThat(e.code()).isEqualTo(ChannelCodecException.FRAME_TRUNCATED));
        } else {
            d.finish();
        }
        return new Outcome(messages, null, partial);
    }

    /**
     * Once {@code next()} returned null, the decoder holds only the frame in progress, which is
     * shorter than its header plus its type's maximum payload.
     */
    private static void assertBoundedByFrameInProgress(ChannelCodec.Decoder d, byte[] stream, int fed) {
        int held = d.bufferedBytes();
        assertThat(held).isLessThan(ChannelCodec.HEADER_SIZE + MessageType.MAX_PAYLOAD);
        if (held >= 4) {
            int head = fed - held;
            MessageType type = MessageType.fromCode(stream[head + 3]).orElseThrow();
            assertThat(held).isLessThan(ChannelCodec.HEADER_SIZE + type.maxPayload() + (type.maxPayload() == 0 ? 1 : 0));
        }
    }

    private static void assertPoisoned(ChannelCodec.Decoder d, String code) {
        assertThat(d.bufferedBytes()).isZero();
        ChannelCodecTest.assertCode(() -> d.feed(ChannelCodec.encode(new Close())), code);
        ChannelCodecTest.assertCode(d::next, code);
        ChannelCodecTest.assertCode(d::hasPartialFrame, code);
        ChannelCodecTest.assertCode(d::finish, code);
    }

    // ------------------------------------------------------------------ valid messages

    @Provide
    Arbitrary<ChannelMessage> messages() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, hellos()), Tuple.of(2, helloAcks()), Tuple.of(3, errors()),
                Tuple.of(1, Arbitraries.just(new Close())), Tuple.of(2, fetches()), Tuple.of(2, deliveryStarts()),
                Tuple.of(3, deliveryChunks()), Tuple.of(1, deliveryEnds()), Tuple.of(2, receipts()),
                Tuple.of(1, deliveryAcks()));
    }

    /** Each type, so a property can check that the generator reaches them all. */
    private static final Set<MessageType> ALL_TYPES = Set.of(MessageType.values());

    @Provide
    Arbitrary<List<ChannelMessage>> messageLists() {
        return messages().list().ofMinSize(1).ofMaxSize(12);
    }

    private static Arbitrary<ChannelMessage> hellos() {
        Arbitrary<InstalledProgram> program = Combinators.combine(
                token("._-", 64), token(".+_-", 64)).as(InstalledProgram::new);
        // 300 entries of at most 158 bytes each stay well within 64 KiB
        Arbitrary<List<InstalledProgram>> installed = Arbitraries.frequencyOf(
                Tuple.of(9, program.list().ofMaxSize(8)), Tuple.of(1, program.list().ofMaxSize(300)));
        return Combinators.combine(deviceIds(), installed).as(Hello::new);
    }

    private static Arbitrary<ChannelMessage> helloAcks() {
        Arbitrary<String> sessionIds = Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z')
                .withCharRange('0', '9').withChars('-', '_').ofMinLength(1).ofMaxLength(64);
        return Combinators.combine(sessionIds, deviceIds(), token("._@-", 64)).as(HelloAck::new);
    }

    private static Arbitrary<ChannelMessage> errors() {
        Arbitrary<String> codes = Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').withChars('-')
                .ofMinLength(1).ofMaxLength(64);
        // code points: ASCII (including " and \), other BMP (not surrogates, not controls), supplementary
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(0x20, 0x7e)),
                Tuple.of(3, Arbitraries.integers().between(0xa0, 0xffff)
                        .filter(c -> !Character.isSurrogate((char) (int) c))),
                Tuple.of(1, Arbitraries.integers().between(0x10000, 0x10ffff)));
        Arbitrary<String> text = codePoint.list().ofMaxSize(512).map(cps -> {
            StringBuilder b = new StringBuilder();
            cps.forEach(b::appendCodePoint);
            return b.toString();
        });
        return Combinators.combine(codes, text).as(ErrorMessage::new);
    }

    private static Arbitrary<ChannelMessage> fetches() {
        Arbitrary<String> version = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just("")),
                Tuple.of(3, versions()));
        return Combinators.combine(programIds(), version, Arbitraries.of("", "direct", "wrapped")).as(Fetch::new);
    }

    private static Arbitrary<ChannelMessage> deliveryStarts() {
        return Combinators.combine(programIds(), versions(), Arbitraries.of("direct", "wrapped"), sizes(), sha256s(),
                sizes(), base64(ChannelMessage.MAX_PUBLISHER_SIGNATURE), base64(ChannelMessage.MAX_PUBLISHER_CERTIFICATE))
                .flatAs((id, v, mode, programSize, sha, envelopeSize, sig, cert) -> nonces().map(
                        nonce -> new DeliveryStart(id, v, mode, programSize, sha, envelopeSize, sig, cert, nonce)));
    }

    private static Arbitrary<ChannelMessage> deliveryChunks() {
        Arbitrary<Integer> length = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.integers().between(1, 64)),
                Tuple.of(2, Arbitraries.integers().between(65, ChannelMessage.MAX_CHUNK)),
                Tuple.of(1, Arbitraries.just(ChannelMessage.MAX_CHUNK)));
        return Combinators.combine(length, Arbitraries.longs()).as((n, seed) -> {
            byte[] b = new byte[n];
            new Random(seed).nextBytes(b);
            return new DeliveryChunk(b);
        });
    }

    private static Arbitrary<ChannelMessage> deliveryEnds() {
        return sha256s().map(DeliveryEnd::new);
    }

    private static Arbitrary<ChannelMessage> receipts() {
        return Combinators.combine(programIds(), versions(), sha256s(), sha256s(), nonces(),
                base64(ChannelMessage.MAX_RECEIPT_SIGNATURE)).as(Receipt::new);
    }

    private static Arbitrary<ChannelMessage> deliveryAcks() {
        return sizes().map(DeliveryAck::new);
    }

    private static Arbitrary<String> programIds() {
        return token("._-", 64);
    }

    private static Arbitrary<String> versions() {
        return token(".+_-", 64);
    }

    /** 0 to 2^40, with the edges often. */
    private static Arbitrary<Long> sizes() {
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.longs().between(0, ChannelMessage.MAX_SIZE)),
                Tuple.of(1, Arbitraries.of(0L, 1L, ChannelMessage.MAX_SIZE)));
    }

    private static Arbitrary<String> sha256s() {
        return Arbitraries.strings().withChars("0123456789abcdef".toCharArray()).ofLength(64);
    }

    private static Arbitrary<String> nonces() {
        return Arbitraries.bytes().array(byte[].class).ofSize(ChannelMessage.SERVER_NONCE_BYTES)
                .map(b -> Base64.getUrlEncoder().withoutPadding().encodeToString(b));
    }

    /** Standard padded base64 of 1 to {@code maxBytes} bytes. */
    private static Arbitrary<String> base64(int maxBytes) {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(maxBytes)
                .map(b -> Base64.getEncoder().encodeToString(b));
    }

    private static Arbitrary<String> deviceIds() {
        return token("_-", 64);
    }

    /** A letter or digit, then letters, digits and {@code extra}: at most {@code max} chars. */
    private static Arbitrary<String> token(String extra, int max) {
        Arbitrary<Character> first = Arbitraries.chars().range('a', 'z').range('A', 'Z')
                .range('0', '9');
        Arbitrary<String> rest = Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z')
                .withCharRange('0', '9').withChars(extra.toCharArray()).ofMaxLength(max - 1);
        return Combinators.combine(first, rest).as((f, r) -> f + r);
    }

    // ------------------------------------------------------------------ hostile streams

    @Provide
    Arbitrary<List<Integer>> chunkSizes() {
        Arbitrary<Integer> size = Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.integers().between(1, 16)),
                Tuple.of(3, Arbitraries.integers().between(17, 2000)),
                Tuple.of(2, Arbitraries.integers().between(2001, ChannelCodec.MAX_FEED)));
        return size.list().ofMinSize(1).ofMaxSize(20);
    }

    @Provide
    Arbitrary<byte[]> hostileStreams() {
        Arbitrary<byte[]> segment = Arbitraries.frequencyOf(
                Tuple.of(5, messages().map(ChannelCodec::encode)),
                Tuple.of(2, mutatedFrames()),
                Tuple.of(2, rawFrames()),
                Tuple.of(2, jsonSoupFrames()),
                Tuple.of(2, looseFrames()),
                Tuple.of(1, truncatedFrames()),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(64)));
        return segment.list().ofMinSize(1).ofMaxSize(8).map(parts -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            parts.forEach(out::writeBytes);
            return out.toByteArray();
        });
    }

    /** A valid frame with one byte changed. */
    private Arbitrary<byte[]> mutatedFrames() {
        return Combinators.combine(messages(), Arbitraries.integers().greaterOrEqual(0),
                Arbitraries.integers().between(1, 255)).as((m, pos, xor) -> {
                    byte[] f = ChannelCodec.encode(m);
                    f[pos % f.length] ^= (byte) (int) xor;
                    return f;
                });
    }

    /** A valid frame cut short. */
    private Arbitrary<byte[]> truncatedFrames() {
        return Combinators.combine(messages(), Arbitraries.integers().greaterOrEqual(0)).as((m, cut) -> {
            byte[] f = ChannelCodec.encode(m);
            return java.util.Arrays.copyOf(f, cut % f.length);
        });
    }

    /** A header with (mostly) plausible fields and any declared length, followed by random bytes. */
    private static Arbitrary<byte[]> rawFrames() {
        Arbitrary<Integer> anyByte = Arbitraries.integers().between(0, 255);
        Arbitrary<Integer> magic0 = Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.just(0x50)), Tuple.of(1, anyByte));
        Arbitrary<Integer> magic1 = Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.just(0x44)), Tuple.of(1, anyByte));
        Arbitrary<Integer> version = Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.just(1)), Tuple.of(1, anyByte));
        Arbitrary<Integer> type = Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.of(1, 2, 3, 4)),
                Tuple.of(4, Arbitraries.integers().between(0x10, 0x15)), Tuple.of(1, anyByte));
        Arbitrary<Long> length = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.longs().between(0, 300)),
                Tuple.of(3, Arbitraries.of(0L, 1L, 255L, 256L, 257L, 1023L, 1024L, 1025L, 4095L, 4096L, 4097L, 8191L,
                        8192L, 8193L, 16375L, 16376L, 16377L, 65535L, 65536L, 65537L, 0x7fffffffL, 0x80000000L,
                        0xffffffffL)),
                Tuple.of(1, Arbitraries.longs().between(0, 0xffffffffL)));
        Arbitrary<Integer> fill = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.integers().between(0, 300)),
                Tuple.of(1, Arbitraries.integers().between(0, 70_000)));
        return Combinators.combine(magic0, magic1, version, type, length, fill, Arbitraries.longs())
                .as((m0, m1, v, t, len, n, seed) -> {
                    byte[] f = new byte[ChannelCodec.HEADER_SIZE + n];
                    new Random(seed).nextBytes(f);
                    System.arraycopy(ChannelCodecTest.header(m0, m1, v, t, len), 0, f, 0, ChannelCodec.HEADER_SIZE);
                    return f;
                });
    }

    /** Well-formed payloads of the right shape whose strings are arbitrary (so mostly invalid values). */
    private static Arbitrary<byte[]> looseFrames() {
        Arbitrary<String> any = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.strings().all().ofMaxLength(80)),
                Tuple.of(1, Arbitraries.strings().all().ofMinLength(1000).ofMaxLength(1100)),
                Tuple.of(2, token("_-", 70)));
        Arbitrary<String> entry = Combinators.combine(any, any).as((p, v) -> "{\"programId\":"
                + ChannelCodecTest.jsonString(p) + ",\"version\":" + ChannelCodecTest.jsonString(v) + "}");
        Arbitrary<byte[]> hello = Combinators.combine(any, entry.list().ofMaxSize(4)).as((d, l) -> frame(1,
                "{\"deviceId\":" + ChannelCodecTest.jsonString(d) + ",\"installed\":[" + String.join(",", l) + "]}"));
        Arbitrary<byte[]> ack = Combinators.combine(any, any, any).as((s, d, u) -> frame(2,
                "{\"sessionId\":" + ChannelCodecTest.jsonString(s) + ",\"deviceId\":" + ChannelCodecTest.jsonString(d)
                        + ",\"userId\":" + ChannelCodecTest.jsonString(u) + "}"));
        Arbitrary<byte[]> error = Combinators.combine(any, any).as((c, m) -> frame(3,
                "{\"code\":" + ChannelCodecTest.jsonString(c) + ",\"message\":" + ChannelCodecTest.jsonString(m) + "}"));
        // the delivery types: strings arbitrary or plausible, sizes any JSON number
        Arbitrary<String> text = Arbitraries.frequencyOf(Tuple.of(3, any), Tuple.of(1, sha256s()),
                Tuple.of(1, nonces()), Tuple.of(1, base64(600)), Tuple.of(1, Arbitraries.of("", "direct", "wrapped")));
        Arbitrary<String> number = Arbitraries.frequencyOf(
                Tuple.of(3, sizes().map(String::valueOf)),
                Tuple.of(1, Arbitraries.of("-1", "1099511627777", "1.5", "1e3", "-0", "99999999999999999999",
                        "\"1\"", "true")));
        Arbitrary<byte[]> fetch = Combinators.combine(text, text, text).as((p, v, m) -> frame(0x10,
                "{\"programId\":" + q(p) + ",\"version\":" + q(v) + ",\"mode\":" + q(m) + "}"));
        Arbitrary<byte[]> start = Combinators.combine(text, text, text, number, text, number, text, text)
                .flatAs((p, v, m, ps, sha, es, sig, cert) -> text.map(nonce -> frame(0x11,
                        "{\"programId\":" + q(p) + ",\"version\":" + q(v) + ",\"mode\":" + q(m)
                                + ",\"programSize\":" + ps + ",\"programSha256\":" + q(sha) + ",\"envelopeSize\":" + es
                                + ",\"publisherSignature\":" + q(sig) + ",\"publisherCertificate\":" + q(cert)
                                + ",\"serverNonce\":" + q(nonce) + "}")));
        Arbitrary<byte[]> end = text.map(e -> frame(0x13, "{\"envelopeSha256\":" + q(e) + "}"));
        Arbitrary<byte[]> receipt = Combinators.combine(text, text, text, text, text, text).as((p, v, ps, es, n, sig) ->
                frame(0x14, "{\"programId\":" + q(p) + ",\"version\":" + q(v) + ",\"programSha256\":" + q(ps)
                        + ",\"envelopeSha256\":" + q(es) + ",\"serverNonce\":" + q(n) + ",\"signature\":" + q(sig)
                        + "}"));
        Arbitrary<byte[]> ackFrame = number.map(n -> frame(0x15, "{\"received\":" + n + "}"));
        return Arbitraries.oneOf(hello, ack, error, fetch, start, end, receipt, ackFrame);
    }

    private static String q(String value) {
        return ChannelCodecTest.jsonString(value);
    }

    private static byte[] frame(int type, String json) {
        return ChannelCodecTest.frame(type, json.getBytes(StandardCharsets.UTF_8));
    }

    /** A correctly framed JSON payload made of random JSON-ish tokens. */
    private static Arbitrary<byte[]> jsonSoupFrames() {
        Arbitrary<String> tokens = Arbitraries.of("{", "}", "[", "]", ":", ",", " ", "\"deviceId\"", "\"installed\"",
                "\"programId\"", "\"version\"", "\"sessionId\"", "\"userId\"", "\"code\"", "\"message\"",
                "\"trp-1\"", "\"x y\"", "\"\"", "null", "true", "1", "-0.5e3", "\"\u00e9\"", "\"\\ud800\"", "\"\\n\"",
                "{\"programId\":\"p\",\"version\":\"1\"}", "\"mode\"", "\"direct\"", "\"programSize\"",
                "\"envelopeSize\"", "\"received\"", "\"envelopeSha256\"", "\"programSha256\"", "\"serverNonce\"",
                "\"signature\"", "\"publisherSignature\"", "\"publisherCertificate\"", "0", "1099511627777",
                "\"QQ==\"", "\"" + "ab".repeat(32) + "\"")
                .list().ofMaxSize(40).map(l -> String.join("", l));
        return Combinators.combine(Arbitraries.of(1, 2, 3, 4, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15), tokens)
                .as((t, json) -> ChannelCodecTest.frame(t, json.getBytes(StandardCharsets.UTF_8)));
    }
}
