package dev.progdist.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.envelope.TestTrps.Trp;
import dev.progdist.protocol.program.EnvelopeMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EnvelopeRoundTripTest {

    static final SecureRandom RANDOM = new SecureRandom();
    static final int[] SIZES = {0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 5};

    @TempDir
    Path dir;

    static Stream<Arguments> modesAndKeys() {
        List<Arguments> list = new ArrayList<>();
        for (EnvelopeMode mode : EnvelopeMode.values()) {
            for (String key : new String[] {"ec", "rsa"}) {
                list.add(Arguments.of(mode, key));
            }
        }
        return list.stream();
    }

    static Stream<Arguments> modesKeysAndSizes() {
        return modesAndKeys().flatMap(a -> java.util.Arrays.stream(SIZES)
                .mapToObj(size -> Arguments.of(a.get()[0], a.get()[1], size)));
    }

    @ParameterizedTest(name = "{0} {1} {2} bytes")
    @MethodSource("modesKeysAndSizes")
    void sealsAndOpens(EnvelopeMode mode, String keyType, int size) throws Exception {
        Trp trp = TestTrps.of(keyType, true);
        Path program = program(dir, size, size);
        Path envelope = dir.resolve("envelope");
        Path out = dir.resolve("out");

        try (EnvelopeStream stream = EnvelopeStream.open(RecipientKeys.forRecipient(mode, trp.certificate(), RANDOM),
                program)) {
            long announced = stream.length();
            Files.copy(stream, envelope);
            assertThat(Files.size(envelope)).isEqualTo(announced);
        }
        assertThat(Files.readAllBytes(envelope)[0]).isEqualTo(mode == EnvelopeMode.DIRECT ? (byte) 'P' : (byte) 0x30);

        OpenedEnvelope opened = EnvelopeOpener.open(envelope, trp.key(), trp.certificate(), out);
        assertThat(opened.mode()).isEqualTo(mode);
        assertThat(opened.size()).isEqualTo(size);
        assertThat(opened.plaintextSha256Hex()).isEqualTo(sha256(program));
        assertThat(opened.envelopeSha256Hex()).isEqualTo(sha256(envelope));
        assertThat(Files.mismatch(program, out)).isEqualTo(-1L);
        assertThat(stagingFiles(dir)).isEmpty();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("modesAndKeys")
    void programSealerWritesAnEnvelopeFile(EnvelopeMode mode, String keyType) throws Exception {
        Trp trp = TestTrps.of(keyType, true);
        Path program = program(dir, 100_000, 7);
        Path envelope = dir.resolve("sealed.env");
        ProgramSealer.seal(mode, trp.certificate(), program, envelope, RANDOM);
        Path out = dir.resolve("out");
        assertThat(EnvelopeOpener.open(envelope, trp.key(), trp.certificate(), out).mode()).isEqualTo(mode);
        assertThat(Files.mismatch(program, out)).isEqualTo(-1L);
        assertThat(stagingFiles(dir)).isEmpty();
    }

    @Test
    void freshSecretsForEverySeal() throws Exception {
        Path program = program(dir, 1000, 1);
        for (EnvelopeMode mode : EnvelopeMode.values()) {
            RecipientKeys keys = RecipientKeys.forRecipient(mode, TestTrps.EC_A.certificate(), RANDOM);
            byte[] first;
            byte[] second;
            try (EnvelopeStream a = EnvelopeStream.open(keys, program);
                    EnvelopeStream b = EnvelopeStream.open(keys, program)) {
                first = a.readAllBytes();
                second = b.readAllBytes();
            }
            assertThat(first).hasSameSizeAs(second);
            // same recipient, same program: the content ciphertext must still differ (new key/nonce)
            assertThat(java.util.Arrays.copyOfRange(first, first.length - 200, first.length))
                    .isNotEqualTo(java.util.Arrays.copyOfRange(second, second.length - 200, second.length));
            assertThat(keys.toString()).contains(mode.label()).contains("sha256:");
        }
    }

    @Test
    void sealedReleaseSharesCiphertextBetweenDevices() throws Exception {
        Path program = program(dir, 200_000, 3);
        Path ciphertext = dir.resolve("release.bin");
        List<Trp> devices = List.of(TestTrps.EC_A, TestTrps.EC_B, TestTrps.RSA_A);
        List<byte[]> envelopes = new ArrayList<>();
        try (SealedRelease release = SealedRelease.encrypt(program, ciphertext, RANDOM)) {
            assertThat(Files.size(ciphertext)).isEqualTo(200_000);
            assertThat(release.size()).isEqualTo(200_000);
            for (Trp device : devices) {
                try (EnvelopeStream stream = release.envelopeFor(device.certificate())) {
                    byte[] bytes = stream.readAllBytes();
                    assertThat(bytes.length).isEqualTo(stream.length());
                    envelopes.add(bytes);
                }
            }
            release.close();
            assertThatThrownBy(() -> release.envelopeFor(TestTrps.EC_A.certificate()))
                    .isInstanceOf(IllegalStateException.class);
        }
        byte[] content = Files.readAllBytes(ciphertext);
        byte[] sharedTail = null;
        for (int i = 0; i < devices.size(); i++) {
            byte[] envelope = envelopes.get(i);
            // encrypted content, then 04 10 || tag: identical in every device's envelope
            byte[] tail = java.util.Arrays.copyOfRange(envelope, envelope.length - content.length - 18, envelope.length);
            assertThat(java.util.Arrays.copyOfRange(tail, 0, content.length)).isEqualTo(content);
            if (sharedTail == null) {
                sharedTail = tail;
            }
            assertThat(tail).isEqualTo(sharedTail);
            Path file = dir.resolve("env-" + i);
            Files.write(file, envelope);
            Path out = dir.resolve("out-" + i);
            Trp device = devices.get(i);
            assertThat(EnvelopeOpener.open(file, device.key(), device.certificate(), out).mode())
                    .isEqualTo(EnvelopeMode.WRAPPED);
            assertThat(Files.mismatch(program, out)).isEqualTo(-1L);
        }
        // the header differs: each device has its own RecipientInfo
        assertThat(envelopes.get(0)).isNotEqualTo(envelopes.get(1));
        // a device cannot open another device's envelope
        assertThatThrownBy(() -> EnvelopeOpener.open(dir.resolve("env-0"), TestTrps.EC_B.key(),
                TestTrps.EC_B.certificate(), dir.resolve("x")))
                .isInstanceOfSatisfying(EnvelopeException.class,
                        e -> assertThat(e.code()).isEqualTo(EnvelopeException.WRONG_RECIPIENT));
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"ec", "rsa"})
    void releaseKeyMaterialSharesCiphertextAndOpensOnlyForItsDevice(String keyType) throws Exception {
        Path program = program(dir, 150_000, 11);
        Trp first = TestTrps.of(keyType, true);
        Trp second = TestTrps.of(keyType, false);
        Path ciphertext = dir.resolve("release.bin");
        byte[][] envelopes = new byte[2][];
        try (SealedRelease release = SealedRelease.encrypt(program, ciphertext, RANDOM)) {
            Trp[] devices = {first, second};
            for (int i = 0; i < 2; i++) {
                DeviceKeyMaterial keys = release.wrapKey(devices[i].certificate());
                assertThat(keys.ofRelease()).isTrue();
                assertThat(keys.mode()).isEqualTo(EnvelopeMode.WRAPPED);
                assertThat(keys.plaintextLength()).isEqualTo(150_000);
                // the generic sealer does not take it: its content is the release's ciphertext
                assertThatThrownBy(() -> EnvelopeSealer.forMode(EnvelopeMode.WRAPPED, RANDOM).encrypt(keys, program))
                        .isInstanceOf(IllegalArgumentException.class);
                try (EnvelopeStream stream = EnvelopeStream.ofRelease(keys)) {
                    envelopes[i] = stream.readAllBytes();
                    assertThat((long) envelopes[i].length).isEqualTo(stream.length()).isEqualTo(keys.envelopeLength());
                }
                assertThatThrownBy(() -> EnvelopeStream.ofRelease(keys)).as("single use")
                        .isInstanceOf(IllegalStateException.class);
            }
            DeviceKeyMaterial closed = release.wrapKey(first.certificate());
            closed.close();
            assertThatThrownBy(() -> EnvelopeStream.ofRelease(closed)).isInstanceOf(IllegalStateException.class);
            try (DeviceKeyMaterial direct = EnvelopeSealer.forMode(EnvelopeMode.WRAPPED, RANDOM)
                    .wrapKey(first.certificate(), 10)) {
                assertThat(direct.ofRelease()).isFalse();
                assertThatThrownBy(() -> EnvelopeStream.ofRelease(direct)).isInstanceOf(IllegalArgumentException.class);
            }
        }
        byte[] content = Files.readAllBytes(ciphertext);
        for (int i = 0; i < 2; i++) {
            byte[] envelope = envelopes[i];
            assertThat(java.util.Arrays.copyOfRange(envelope, envelope.length - content.length - 18,
                    envelope.length - 18)).as("the shared ciphertext").isEqualTo(content);
        }
        assertThat(java.util.Arrays.copyOfRange(envelopes[0], envelopes[0].length - 18, envelopes[0].length))
                .as("the shared tag")
                .isEqualTo(java.util.Arrays.copyOfRange(envelopes[1], envelopes[1].length - 18, envelopes[1].length));
        Path env0 = Files.write(dir.resolve("env-0"), envelopes[0]);
        Path env1 = Files.write(dir.resolve("env-1"), envelopes[1]);
        assertThat(EnvelopeOpener.open(env0, first.key(), first.certificate(), dir.resolve("out-0")).plaintextSha256Hex())
                .isEqualTo(sha256(program));
        assertThat(EnvelopeOpener.open(env1, second.key(), second.certificate(), dir.resolve("out-1"))
                .plaintextSha256Hex()).isEqualTo(sha256(program));
        for (Path[] wrong : new Path[][] {{env0, null}, {env1, null}}) {
            Trp other = wrong[0] == env0 ? second : first;
            assertThatThrownBy(() -> EnvelopeOpener.open(wrong[0], other.key(), other.certificate(), dir.resolve("x")))
                    .isInstanceOfSatisfying(EnvelopeException.class,
                            e -> assertThat(e.code()).isEqualTo(EnvelopeException.WRONG_RECIPIENT));
        }
    }

    @Test
    void unsupportedRecipientKeysAreRefused() {
        Trp rsa2048 = TestTrps.issue("small-rsa", TestTrps.rsa(2048), TestTrps.usageFor(false));
        Trp ecSignOnly = TestTrps.issue("sign-only", TestTrps.ec(), org.bouncycastle.asn1.x509.KeyUsage.digitalSignature);
        Trp rsaAgreement = TestTrps.issue("rsa-agree", TestTrps.rsa(3072), TestTrps.usageFor(true));
        for (Trp trp : List.of(rsa2048, ecSignOnly, rsaAgreement)) {
            for (EnvelopeMode mode : EnvelopeMode.values()) {
                assertThatThrownBy(() -> RecipientKeys.forRecipient(mode, trp.certificate(), RANDOM))
                        .as(trp + " " + mode)
                        .isInstanceOfSatisfying(EnvelopeException.class,
                                e -> assertThat(e.code()).isEqualTo(EnvelopeException.UNSUPPORTED_KEY));
            }
        }
    }

    @Test
    void missingProgramIsAnIoError() {
        assertThatThrownBy(() -> ProgramSealer.seal(EnvelopeMode.DIRECT, TestTrps.EC_A.certificate(),
                dir.resolve("missing"), dir.resolve("out"), RANDOM))
                .isInstanceOfSatisfying(EnvelopeException.class, e -> {
                    assertThat(e.code()).isEqualTo(EnvelopeException.IO);
                    assertThat(e.getMessage()).isEqualTo("envelope file input/output failed");
                });
        assertThat(Files.exists(dir.resolve("out"))).isFalse();
    }

    // ---- helpers ------------------------------------------------------------------------

    static Path program(Path dir, int size, long seed) throws Exception {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        Path file = Files.createTempFile(dir, "program", ".bin");
        Files.write(file, bytes);
        return file;
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    static List<Path> stagingFiles(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".part")).toList();
        }
    }
}
