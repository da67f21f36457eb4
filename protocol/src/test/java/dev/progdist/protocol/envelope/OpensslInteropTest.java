package dev.progdist.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.progdist.protocol.envelope.TestTrps.Trp;
import dev.progdist.protocol.keys.Pem;
import dev.progdist.protocol.program.EnvelopeMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A wrapped envelope is standard CMS: OpenSSL's {@code cms -decrypt} opens it. Skipped without openssl. */
class OpensslInteropTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void opensslOnPath() {
        assumeTrue(run(List.of("openssl", "version"), null) == 0, "openssl is not on PATH");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ec", "rsa", "ec-release", "rsa-release"})
    void opensslDecryptsWrappedEnvelopes(String variant) throws Exception {
        Trp trp = TestTrps.of(variant.startsWith("ec") ? "ec" : "rsa", true);
        Path program = EnvelopeRoundTripTest.program(dir, 300_001, 5);
        Path envelope = dir.resolve("env.der");
        if (variant.endsWith("release")) {
            try (SealedRelease release = SealedRelease.encrypt(program, dir.resolve("release.bin"),
                    EnvelopeRoundTripTest.RANDOM);
                    EnvelopeStream stream = release.envelopeFor(trp.certificate())) {
                Files.copy(stream, envelope);
            }
        } else {
            ProgramSealer.seal(EnvelopeMode.WRAPPED, trp.certificate(), program, envelope, EnvelopeRoundTripTest.RANDOM);
        }
        Files.writeString(dir.resolve("trp.crt"), Pem.toPem(trp.certificate()), StandardCharsets.US_ASCII);
        Files.writeString(dir.resolve("trp.key"), "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(trp.key().getEncoded())
                + "\n-----END PRIVATE KEY-----\n", StandardCharsets.US_ASCII);

        int exit = run(List.of("openssl", "cms", "-decrypt", "-inform", "DER", "-in", "env.der", "-recip", "trp.crt",
                "-inkey", "trp.key", "-out", "plain"), dir);

        assertThat(exit).as(Files.exists(dir.resolve("openssl.log")) ? Files.readString(dir.resolve("openssl.log")) : "")
                .isZero();
        assertThat(Files.mismatch(program, dir.resolve("plain"))).isEqualTo(-1L);
    }

    private static int run(List<String> command, Path dir) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            if (dir != null) {
                builder.directory(dir.toFile()).redirectOutput(dir.resolve("openssl.log").toFile());
            }
            Process process = builder.start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return -1;
            }
            return process.exitValue();
        } catch (Exception e) {
            return -1;
        }
    }
}
