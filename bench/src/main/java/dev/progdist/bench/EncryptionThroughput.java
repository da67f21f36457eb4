package dev.progdist.bench;

import dev.progdist.protocol.envelope.EnvelopeStream;
import dev.progdist.protocol.envelope.RecipientKeys;
import dev.progdist.protocol.program.EnvelopeMode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The program-encryption stage's throughput: reading an {@link EnvelopeStream} of a program file
 * to its end, against the bulk cipher alone in the same run. The baseline is JCA
 * {@code AES/GCM/NoPadding} with a 256-bit key over the same file, read the same way
 * ({@code FileChannel} into a 16 KiB array) and encrypted in 16 KiB {@code update}s, so file I/O is
 * equal and what differs is the envelope's framing, copying and per-segment work. The variants run
 * round-robin (one pass of each per round) so that load from other processes spreads over all of
 * them. Rates are program bytes (10^6 bytes = 1 MB) per second of one pass.
 */
public final class EncryptionThroughput {

    /** Bytes read per {@code read} of the envelope, and per {@code update} of the baseline. */
    public static final int CHUNK = 16 * 1024;

    /** One measured variant: its label and its passes in MB/s. */
    public record Variant(String label, double[] mbPerSecond) {
        public double best() {
            return Arrays.stream(mbPerSecond).max().orElse(Double.NaN);
        }

        public double median() {
            return mbPerSecond.length == 0 ? Double.NaN : RolloutFigures.median(mbPerSecond);
        }
    }

    private interface Pass {
        void run() throws Exception;
    }

    private final Path program;
    private final long size;
    private final SecureRandom random = new SecureRandom();

    public EncryptionThroughput(Path program, long size) {
        this.program = program;
        this.size = size;
    }

    /**
     * Runs {@code warmup} unmeasured rounds, then {@code runs} measured ones; returns the baseline
     * first, then the envelope modes: direct and wrapped for an EC P-256 and an RSA 3072 recipient.
     */
    public List<Variant> measure(X509Certificate ec, X509Certificate rsa, int warmup, int runs) throws Exception {
        Map<String, Pass> passes = new LinkedHashMap<>();
        passes.put("raw", this::rawPass);
        passes.put("direct EC P-256", () -> envelopePass(EnvelopeMode.DIRECT, ec));
        passes.put("direct RSA 3072", () -> envelopePass(EnvelopeMode.DIRECT, rsa));
        passes.put("wrapped EC P-256", () -> envelopePass(EnvelopeMode.WRAPPED, ec));
        passes.put("wrapped RSA 3072", () -> envelopePass(EnvelopeMode.WRAPPED, rsa));
        for (int r = 0; r < warmup; r++) {
            for (Pass p : passes.values()) {
                p.run();
            }
        }
        Map<String, double[]> rates = new LinkedHashMap<>();
        passes.keySet().forEach(k -> rates.put(k, new double[runs]));
        for (int r = 0; r < runs; r++) {
            for (Map.Entry<String, Pass> p : passes.entrySet()) {
                long t0 = System.nanoTime();
                p.getValue().run();
                rates.get(p.getKey())[r] = BenchFiles.mbPerSecond(size, System.nanoTime() - t0);
            }
        }
        List<Variant> out = new ArrayList<>();
        rates.forEach((k, v) -> out.add(new Variant(k, v)));
        return out;
    }

    /** The baseline: a fresh key and nonce per pass (GCM must never reuse one with the other). */
    private void rawPass() throws IOException, GeneralSecurityException {
        byte[] key = new byte[32];
        byte[] nonce = new byte[12];
        random.nextBytes(key);
        random.nextBytes(nonce);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        byte[] in = new byte[CHUNK];
        byte[] out = new byte[CHUNK + 32];
        try (FileChannel channel = FileChannel.open(program, StandardOpenOption.READ)) {
            long remaining = channel.size();
            while (remaining > 0) {
                int n = (int) Math.min(CHUNK, remaining);
                ByteBuffer target = ByteBuffer.wrap(in, 0, n);
                while (target.hasRemaining()) {
                    if (channel.read(target) < 0) {
                        throw new IOException("program file became shorter");
                    }
                }
                remaining -= n;
                cipher.update(in, 0, n, out, 0);
            }
            cipher.doFinal(out, 0);
        }
    }

    private void envelopePass(EnvelopeMode mode, X509Certificate recipient) throws Exception {
        try (EnvelopeStream envelope = EnvelopeStream.open(RecipientKeys.forRecipient(mode, recipient, random),
                program)) {
            long n = BenchFiles.drain(envelope, CHUNK);
            if (n != envelope.length()) {
                throw new IllegalStateException("the envelope was " + n + " bytes, not the " + envelope.length()
                        + " announced");
            }
        }
    }
}
