package dev.progdist.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.envelope.TestTrps.Trp;
import dev.progdist.protocol.program.EnvelopeMode;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EnvelopeTamperTest {

    /** Two and a bit direct segments: header, full segments, a short final segment. */
    static final int SIZE = 2 * 65536 + 1000;

    @TempDir
    Path dir;

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> modesAndKeys() {
        return EnvelopeRoundTripTest.modesAndKeys();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("modesAndKeys")
    void everyFlippedByteIsDetected(EnvelopeMode mode, String keyType) throws Exception {
        Trp trp = TestTrps.of(keyType, true);
        byte[] envelope = seal(mode, trp, SIZE);
        int headerLength = envelope.length - SIZE - (mode == EnvelopeMode.DIRECT ? 3 * 16 : 18);
        TreeSet<Integer> positions = new TreeSet<>();
        for (int i = 0; i < headerLength; i++) {
            positions.add(i); // every byte of the header and recipient part
        }
        for (int i = headerLength; i < envelope.length; i += 997) {
            positions.add(i); // samples through the content
        }
        for (int i = Math.max(0, envelope.length - 40); i < envelope.length; i++) {
            positions.add(i); // the last segment's tag / the CMS mac
        }
        for (int i = headerLength + 65536 - 8; i < headerLength + 65536 + 24; i++) {
            positions.add(i); // around the first segment boundary
        }
        List<String> undetected = new ArrayList<>();
        Path file = dir.resolve("tampered");
        Path out = dir.resolve("out");
        for (int position : positions) {
            for (int mask : new int[] {0x01, 0x80}) {
                byte[] tampered = envelope.clone();
                tampered[position] ^= (byte) mask;
                Files.write(file, tampered);
                Files.write(out, new byte[] {42}); // a stale file that must not survive a failure
                try {
                    EnvelopeOpener.open(file, trp.key(), trp.certificate(), out);
                    undetected.add(position + "^" + mask);
                } catch (EnvelopeException expected) {
                    assertThat(Files.exists(out)).as("output after failure at " + position).isFalse();
                }
            }
        }
        assertThat(undetected).as("flips that opened anyway").isEmpty();
        assertThat(EnvelopeRoundTripTest.stagingFiles(dir)).isEmpty();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("modesAndKeys")
    void truncatedOrExtendedEnvelopesFail(EnvelopeMode mode, String keyType) throws Exception {
        Trp trp = TestTrps.of(keyType, true);
        byte[] envelope = seal(mode, trp, SIZE);
        int headerLength = envelope.length - SIZE - (mode == EnvelopeMode.DIRECT ? 3 * 16 : 18);
        List<byte[]> variants = new ArrayList<>();
        for (int length : new int[] {1, 4, 20, headerLength - 1, headerLength, headerLength + 65536 + 16,
            envelope.length - 1018, envelope.length - 16, envelope.length - 1}) {
            variants.add(Arrays.copyOf(envelope, length));
        }
        variants.add(Arrays.copyOf(envelope, envelope.length + 1));
        byte[] extended = Arrays.copyOf(envelope, envelope.length + 16);
        System.arraycopy(envelope, envelope.length - 16, extended, envelope.length, 16);
        variants.add(extended);
        for (byte[] variant : variants) {
            Path file = dir.resolve("variant");
            Files.write(file, variant);
            assertThatThrownBy(() -> EnvelopeOpener.open(file, trp.key(), trp.certificate(), dir.resolve("out")))
                    .as("length " + variant.length + " of " + envelope.length)
                    .isInstanceOfSatisfying(EnvelopeException.class, e -> assertThat(e.code())
                            .isIn(EnvelopeException.AUTHENTICATION_FAILED, EnvelopeException.MALFORMED));
            assertThat(Files.exists(dir.resolve("out"))).isFalse();
        }
        // whole-segment truncation and appended bytes are authentication failures, not format errors
        for (byte[] variant : List.of(variants.get(5), variants.get(variants.size() - 1))) {
            Path file = dir.resolve("variant");
            Files.write(file, variant);
            assertThat(code(file, trp)).isEqualTo(EnvelopeException.AUTHENTICATION_FAILED);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("modesAndKeys")
    void anotherDevicesEnvelopeIsRefused(EnvelopeMode mode, String keyType) throws Exception {
        Trp sealedFor = TestTrps.of(keyType, true);
        Path file = dir.resolve("env");
        Files.write(file, seal(mode, sealedFor, 1000));
        for (Trp other : List.of(TestTrps.EC_B, TestTrps.RSA_B, keyType.equals("ec") ? TestTrps.RSA_A : TestTrps.EC_A)) {
            assertThat(code(file, other)).as(other.name()).isEqualTo(EnvelopeException.WRONG_RECIPIENT);
        }
        // the right certificate but another key of the same type: the key cannot recover the secret
        Trp sameType = TestTrps.of(keyType, false);
        assertThatThrownBy(() -> EnvelopeOpener.open(file, sameType.key(), sealedFor.certificate(), dir.resolve("o")))
                .isInstanceOfSatisfying(EnvelopeException.class, e -> assertThat(e.code())
                        .isIn(EnvelopeException.UNWRAP_FAILED, EnvelopeException.AUTHENTICATION_FAILED));
        // a key of the other type is not even tried
        Trp otherType = keyType.equals("ec") ? TestTrps.RSA_A : TestTrps.EC_A;
        assertThatThrownBy(() -> EnvelopeOpener.open(file, otherType.key(), sealedFor.certificate(), dir.resolve("o")))
                .isInstanceOfSatisfying(EnvelopeException.class,
                        e -> assertThat(e.code()).isEqualTo(EnvelopeException.UNSUPPORTED_KEY));
    }

    @Test
    void reorderedOrDroppedSegmentsFail() throws Exception {
        for (Trp trp : List.of(TestTrps.EC_A, TestTrps.RSA_A)) {
            byte[] envelope = seal(EnvelopeMode.DIRECT, trp, 3 * 65536);
            int segment = 65536 + 16;
            int header = envelope.length - 3 * segment;
            byte[] swapped = envelope.clone();
            System.arraycopy(envelope, header + segment, swapped, header, segment);
            System.arraycopy(envelope, header, swapped, header + segment, segment);
            Path file = dir.resolve("swapped");
            Files.write(file, swapped);
            assertThat(code(file, trp)).isEqualTo(EnvelopeException.AUTHENTICATION_FAILED);

            // last two segments swapped: the final flag is in the wrong place
            byte[] lastSwapped = envelope.clone();
            System.arraycopy(envelope, header + 2 * segment, lastSwapped, header + segment, segment);
            System.arraycopy(envelope, header + segment, lastSwapped, header + 2 * segment, segment);
            Files.write(file, lastSwapped);
            assertThat(code(file, trp)).isEqualTo(EnvelopeException.AUTHENTICATION_FAILED);

            // a middle segment duplicated over the last one
            byte[] duplicated = envelope.clone();
            System.arraycopy(envelope, header, duplicated, header + 2 * segment, segment);
            Files.write(file, duplicated);
            assertThat(code(file, trp)).isEqualTo(EnvelopeException.AUTHENTICATION_FAILED);
        }
    }

    @Test
    void absurdLengthsAreMalformed() throws Exception {
        Trp trp = TestTrps.EC_A;
        byte[] direct = seal(EnvelopeMode.DIRECT, trp, 10);
        Path file = dir.resolve("absurd");

        byte[] hugeProgram = direct.clone();
        ByteBuffer.wrap(hugeProgram).putLong(11, Long.MAX_VALUE);
        Files.write(file, hugeProgram);
        assertThat(code(file, trp)).isEqualTo(EnvelopeException.MALFORMED);

        byte[] hugeSegment = direct.clone();
        ByteBuffer.wrap(hugeSegment).putInt(7, Integer.MAX_VALUE);
        Files.write(file, hugeSegment);
        assertThat(code(file, trp)).isEqualTo(EnvelopeException.MALFORMED);

        byte[] hugeEnc = direct.clone();
        ByteBuffer.wrap(hugeEnc).putShort(51, (short) 0xffff);
        Files.write(file, hugeEnc);
        assertThat(code(file, trp)).isEqualTo(EnvelopeException.MALFORMED);

        byte[] otherVersion = direct.clone();
        otherVersion[4] = 2;
        Files.write(file, otherVersion);
        assertThat(code(file, trp)).isEqualTo(EnvelopeException.MALFORMED);

        // CMS: a length of 2^62 in the outer SEQUENCE, and a recipientInfos SET claiming 16 MiB
        byte[] cms = seal(EnvelopeMode.WRAPPED, trp, 10);
        byte[] hugeOuter = new byte[cms.length + 4];
        hugeOuter[0] = 0x30;
        hugeOuter[1] = (byte) 0x88;
        hugeOuter[2] = 0x40;
        Files.write(file, hugeOuter);
        assertThat(code(file, trp)).isIn(EnvelopeException.MALFORMED, EnvelopeException.AUTHENTICATION_FAILED);

        byte[] indefinite = cms.clone();
        indefinite[1] = (byte) 0x80;
        Files.write(file, indefinite);
        assertThat(code(file, trp)).isEqualTo(EnvelopeException.MALFORMED);

        Files.write(file, new byte[] {'X', 'Y', 'Z'});
        assertThat(code(file, trp)).isEqualTo(EnvelopeException.MALFORMED);
        Files.write(file, new byte[0]);
        assertThat(code(file, trp)).isEqualTo(EnvelopeException.MALFORMED);
    }

    // ---- helpers ------------------------------------------------------------------------

    private byte[] seal(EnvelopeMode mode, Trp trp, int size) throws Exception {
        Path program = EnvelopeRoundTripTest.program(dir, size, size + 11);
        try (EnvelopeStream stream = EnvelopeStream.open(
                RecipientKeys.forRecipient(mode, trp.certificate(), EnvelopeRoundTripTest.RANDOM), program)) {
            return stream.readAllBytes();
        }
    }

    private String code(Path envelope, Trp trp) {
        try {
            EnvelopeOpener.open(envelope, trp.key(), trp.certificate(), dir.resolve("out"));
        } catch (EnvelopeException e) {
            assertThat(Files.exists(dir.resolve("out"))).isFalse();
            return e.code();
        }
        throw new AssertionError("envelope opened");
    }
}
