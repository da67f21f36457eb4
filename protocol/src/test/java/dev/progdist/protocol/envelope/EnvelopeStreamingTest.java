package dev.progdist.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.protocol.envelope.TestTrps.Trp;
import dev.progdist.protocol.program.EnvelopeMode;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Seals and opens a 64 MiB program through files. Heap cannot be capped from inside a test; the
 * code keeps only fixed-size buffers (16 KiB chunks, one 64 KiB direct segment), and this test
 * checks that the heap in use after a run does not grow with the program.
 */
class EnvelopeStreamingTest {

    static final int MIB = 1024 * 1024;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(EnvelopeMode.class)
    void sixtyFourMebibytesStreamThrough(EnvelopeMode mode) throws Exception {
        Trp trp = TestTrps.EC_A;
        Path program = dir.resolve("program.bin");
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] block = new byte[MIB];
        Random random = new Random(64);
        try (OutputStream out = Files.newOutputStream(program)) {
            for (int i = 0; i < 64; i++) {
                random.nextBytes(block);
                digest.update(block);
                out.write(block);
            }
        }
        String expected = HexFormat.of().formatHex(digest.digest());
        Path envelope = dir.resolve("program.env");
        Path opened = dir.resolve("program.out");

        Runtime runtime = Runtime.getRuntime();
        System.gc();
        long before = runtime.totalMemory() - runtime.freeMemory();
        ProgramSealer.seal(mode, trp.certificate(), program, envelope, EnvelopeRoundTripTest.RANDOM);
        OpenedEnvelope result = EnvelopeOpener.open(envelope, trp.key(), trp.certificate(), opened);
        System.gc();
        long after = runtime.totalMemory() - runtime.freeMemory();

        assertThat(result.size()).isEqualTo(64L * MIB);
        assertThat(result.plaintextSha256Hex()).isEqualTo(expected);
        assertThat(Files.size(opened)).isEqualTo(64L * MIB);
        // nothing the size of the program may stay reachable
        assertThat(after - before).isLessThan(16L * MIB);
    }
}
