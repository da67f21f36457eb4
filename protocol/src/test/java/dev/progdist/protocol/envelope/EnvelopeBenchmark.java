package dev.progdist.protocol.envelope;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.progdist.protocol.envelope.TestTrps.Trp;
import dev.progdist.protocol.program.EnvelopeMode;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/**
 * Throughput figures for docs/envelope.md: sealing and opening both formats through files, next to
 * raw JDK AES-256-GCM on 16 KiB updates in the same run. Off by default; run with
 * {@code mvn -o -q verify -pl protocol -Dtest=EnvelopeBenchmark -Denvelope.bench.mib=256
 * -Dsurefire.failIfNoSpecifiedTests=false}; results go to {@code protocol/target/envelope-benchmark.txt}.
 */
class EnvelopeBenchmark {

    @Test
    void measure() throws Exception {
        String mib = System.getProperty("envelope.bench.mib");
        assumeTrue(mib != null, "set -Denvelope.bench.mib=<size> to run the benchmark");
        List<String> lines = run(Integer.parseInt(mib));
        Files.write(Path.of("target", "envelope-benchmark.txt"), lines);
    }

    public static void main(String[] args) throws Exception {
        run(args.length > 0 ? Integer.parseInt(args[0]) : 256).forEach(System.out::println);
    }

    static List<String> run(int mib) throws Exception {
        Path dir = Files.createTempDirectory("envelope-bench");
        List<String> lines = new ArrayList<>();
        try {
            long size = (long) mib << 20;
            Path program = dir.resolve("program");
            byte[] block = new byte[1 << 20];
            new Random(1).nextBytes(block);
            try (OutputStream out = Files.newOutputStream(program)) {
                for (int i = 0; i < mib; i++) {
                    out.write(block);
                }
            }
            SecureRandom random = new SecureRandom();
            lines.add("program " + mib + " MiB, " + Runtime.getRuntime().availableProcessors() + " cores, "
                    + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            for (int round = 0; round < 2; round++) {
                boolean report = round == 1; // round 0 warms up the JIT
                add(lines, report, "raw JDK AES-256-GCM encrypt, 16 KiB updates (memory)", size, () -> rawJdk(size));
                add(lines, report, "raw BC GCMBlockCipher decrypt, 16 KiB (memory)", size, () -> rawBc(size));
                for (Trp trp : List.of(TestTrps.EC_A, TestTrps.RSA_A)) {
                    for (EnvelopeMode mode : EnvelopeMode.values()) {
                        add(lines, report, "seal " + mode.label() + " " + trp.name() + " (EnvelopeStream, discarded)",
                                size, () -> {
                                    try (EnvelopeStream stream = EnvelopeStream.open(
                                            RecipientKeys.forRecipient(mode, trp.certificate(), random), program)) {
                                        byte[] sink = new byte[65536];
                                        while (stream.read(sink) >= 0) {
                                            // discard: measures reading + encryption without writing
                                        }
                                    }
                                });
                        Path envelope = dir.resolve("env");
                        add(lines, report, "seal " + mode.label() + " " + trp.name() + " (file to file)", size,
                                () -> ProgramSealer.seal(mode, trp.certificate(), program, envelope, random));
                        add(lines, report, "open " + mode.label() + " " + trp.name() + " (file to file, TRP side)",
                                size, () -> EnvelopeOpener.open(envelope, trp.key(), trp.certificate(),
                                        dir.resolve("out")));
                    }
                }
                Path ciphertext = dir.resolve("release");
                SealedRelease[] release = new SealedRelease[1];
                add(lines, report, "SealedRelease.encrypt (once per release)", size,
                        () -> release[0] = SealedRelease.encrypt(program, ciphertext, random));
                add(lines, report, "SealedRelease.envelopeFor ec-a (per device, copy)", size, () -> {
                    try (EnvelopeStream stream = release[0].envelopeFor(TestTrps.EC_A.certificate())) {
                        Files.copy(stream, dir.resolve("device.env"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                });
                release[0].close();
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
        return lines;
    }

    interface Step {
        void run() throws Exception;
    }

    private static void add(List<String> lines, boolean report, String name, long bytes, Step step) throws Exception {
        long start = System.nanoTime();
        step.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (report) {
            lines.add(String.format(Locale.ROOT, "%-62s %8.1f MB/s", name, bytes / 1e6 / seconds));
        }
    }

    private static void rawJdk(long size) throws Exception {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(new byte[32], "AES"),
                new GCMParameterSpec(128, new SecureRandom().generateSeed(12)));
        byte[] in = new byte[16384];
        byte[] out = new byte[16384 + 32];
        for (long done = 0; done < size; done += in.length) {
            cipher.update(in, 0, in.length, out, 0);
        }
        cipher.doFinal(out, 0);
    }

    private static void rawBc(long size) throws Exception {
        GCMModeCipher gcm = GCMBlockCipher.newInstance(AESEngine.newInstance());
        gcm.init(false, new AEADParameters(new KeyParameter(new byte[32]), 128, new byte[12]));
        byte[] in = new byte[16384];
        byte[] out = new byte[16384 + 32];
        for (long done = 0; done < size; done += in.length) {
            gcm.processBytes(in, 0, in.length, out, 0);
        }
        // no doFinal: the tag of zero bytes would not verify; the cost is in processBytes
    }
}
