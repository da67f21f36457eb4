package dev.progdist.bench;

import dev.progdist.protocol.Home;
import dev.progdist.protocol.envelope.DeviceKeyMaterial;
import dev.progdist.protocol.envelope.EnvelopeException;
import dev.progdist.protocol.envelope.EnvelopeOpener;
import dev.progdist.protocol.envelope.EnvelopeSealer;
import dev.progdist.protocol.envelope.EnvelopeStream;
import dev.progdist.protocol.envelope.OpenedEnvelope;
import dev.progdist.protocol.envelope.SealedRelease;
import dev.progdist.protocol.keys.DeviceKey;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.SecretSource;
import dev.progdist.protocol.keys.InvalidSignatureException;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.InstallReceipt;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.program.ReceiptVerifier;
import dev.progdist.trp.PublisherSignatureCheck;
import dev.progdist.trp.TrpIdentityStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;

/**
 * The cryptographic work one rollout delivery costs, both ends, in one thread with nothing in
 * between (no HTTP, JMS, database, device bus): the second path's TLS 1.3 handshake with mutual
 * authentication ({@link CryptoBound#channel}), the server's key wrap for the device (the sealer of
 * the rollout's mode, exactly as the server's KeyWrapping stage calls it), the envelope written out
 * (wrapped: the device's header before the release's shared ciphertext; direct: the program
 * encrypted for this device), the TRP opening it (decrypt, authenticate, SHA-256 of the program)
 * and hashing the envelope, the TRP checking the publisher's certificate and signature before it
 * installs, the TRP signing the install receipt and the server checking it. The TRP's
 * key is used as a secure element would hold it, unsealed once (the emulator's PKCS#12 store runs
 * PBKDF2 on every use; {@code bench rollout} reports that cost apart). Wrapped
 * rollouts encrypt the release once ({@link SealedRelease#encrypt}); that time is measured once and
 * amortised over the rollout's devices.
 */
public final class RolloutCrypto {

    /**
     * Per-device CPU time (ns, this thread's) of each step and of all of them, the wall time of all of
     * them, and the CPU time of the release's one encryption (0 for direct). CPU time, because other
     * processes share the machine: wall time then counts their turns on the core too.
     */
    public record Result(Samples tls, Samples wrap, Samples envelope, Samples open, Samples publisher, Samples sign,
            Samples verify, Samples total, Samples wall, long encryptOnceNanos) {

        /** CPU milliseconds of crypto per device when the release is encrypted once for {@code devices}. */
        public double perDeviceMillis(long devices) {
            return total.meanMillis() + encryptOnceNanos / 1e6 / Math.max(1, devices);
        }
    }

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /** This thread's CPU time in ns (user + system). */
    static long cpu() {
        return THREADS.getCurrentThreadCpuTime();
    }

    private final Home home;
    private final String deviceId;
    private final EnvelopeMode mode;
    private final Path program;
    private final Path work;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param deviceId a provisioned TRP of {@code home} (its real key and certificate)
     * @param program  the rollout's program file
     * @param work     a directory for the envelope, the opened program and the release's ciphertext
     */
    public RolloutCrypto(Home home, String deviceId, EnvelopeMode mode, Path program, Path work) {
        this.home = home;
        this.deviceId = deviceId;
        this.mode = mode;
        this.program = program;
        this.work = work;
    }

    /** Runs {@code warmup} uncounted and then {@code iterations} counted deliveries' worth of crypto. */
    public Result run(int warmup, int iterations) throws Exception {
        Files.createDirectories(work);
        long encryptOnce = 0;
        SealedRelease release = null;
        Samples tls = new Samples();
        Samples wrap = new Samples();
        Samples envelope = new Samples();
        Samples open = new Samples();
        Samples publisher = new Samples();
        Samples sign = new Samples();
        Samples verify = new Samples();
        Samples total = new Samples();
        Samples wall = new Samples();
        try {
            if (mode == EnvelopeMode.WRAPPED) {
                long t = cpu();
                release = SealedRelease.encrypt(program, work.resolve("crypto.release"), random);
                encryptOnce = cpu() - t;
            }
            try (Delivery d = new Delivery(release, work.resolve("crypto"))) {
                d.warmUp();
                for (int i = 0; i < warmup + iterations; i++) {
                    long[] t = d.once();
                    if (i >= warmup) {
                        tls.add(t[1] - t[0]);
                        wrap.add(t[2] - t[1]);
                        envelope.add(t[3] - t[2]);
                        open.add(t[4] - t[3]);
                        publisher.add(t[5] - t[4]);
                        sign.add(t[6] - t[5]);
                        verify.add(t[7] - t[6]);
                        total.add(t[7] - t[0]);
                        wall.add(t[8]);
                    }
                }
            }
        } finally {
            if (release != null) {
                release.close();
            }
            BenchFiles.deleteQuietly(work.resolve("crypto.release"));
        }
        return new Result(tls, wrap, envelope, open, publisher, sign, verify, total, wall, encryptOnce);
    }

    /**
     * The same deliveries' crypto on {@code threads} threads at once, {@code iterations} each after a
     * warm-up of as many: what all the machine's cores do when they do nothing else. Returns devices
     * per second of wall time (the release's one encryption not included: it is amortised away).
     */
    public double runOnAllCores(int threads, int iterations) throws Exception {
        Files.createDirectories(work);
        SealedRelease release = mode == EnvelopeMode.WRAPPED
                ? SealedRelease.encrypt(program, work.resolve("crypto.release"), random) : null;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            // every worker counts down `ready` once, after its warm-up or when it failed before, so
            // that a failure ends the run (through its future) instead of leaving this thread waiting
            java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(threads);
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<Void>> workers = new java.util.ArrayList<>();
            for (int w = 0; w < threads; w++) {
                Path dir = work.resolve("crypto-" + w);
                SealedRelease shared = release;
                workers.add(pool.submit(() -> {
                    boolean warm = false;
                    try (Delivery d = new Delivery(shared, dir)) {
                        d.warmUp();
                        for (int i = 0; i < iterations; i++) {
                            d.once();
                        }
                        warm = true;
                        ready.countDown();
                        go.await();
                        for (int i = 0; i < iterations; i++) {
                            d.once();
                        }
                    } finally {
                        if (!warm) {
                            ready.countDown();
                        }
                    }
                    return null;
                }));
            }
            ready.await();
            long t0 = System.nanoTime();
            go.countDown();
            for (java.util.concurrent.Future<Void> f : workers) {
                f.get(); // a worker's failure fails the run
            }
            long elapsed = System.nanoTime() - t0;
            return threads * (double) iterations / (elapsed / 1e9);
        } finally {
            pool.shutdownNow();
            if (release != null) {
                release.close();
            }
            BenchFiles.deleteQuietly(work.resolve("crypto.release"));
        }
    }

    /** One thread's deliveries: its own TLS ends, files and TRP key copy; the release (if any) is shared. */
    private final class Delivery implements AutoCloseable {
        private final SealedRelease release;
        private final X509Certificate certificate;
        private final DeviceKey trp;
        private final CryptoBound channel;
        private final ReceiptVerifier verifier;
        private final ProgramStatement statement;
        private final String publisherSignature;
        private final String publisherCertificate;
        private final PublisherSignatureCheck publisherCheck;
        private final EnvelopeSealer sealer;
        private final Path envelopeFile;
        private final Path opened;

        Delivery(SealedRelease release, Path dir) throws Exception {
            Files.createDirectories(dir);
            this.release = release;
            TrpIdentityStore store = TrpIdentityStore.open(home, deviceId);
            this.certificate = store.certificate();
            // the key once out of its PKCS#12 store, as a TRP's secure element holds it: the emulator's
            // store unseals it per use (PBKDF2), which is the emulator's cost, not the protocol's
            this.trp = DeviceKey.inMemory(unsealedKey(), store.chain());
            this.channel = new CryptoBound(home, deviceId, BenchSystem.USER, null, null, null);
            this.verifier = ReceiptVerifier.forDevice(certificate);
            this.statement = ProgramStatement.of("bench-crypto", "1.0", program);
            this.publisherSignature = dev.progdist.devpki.DevelopmentPki.signAsPublisher(home, statement);
            this.publisherCertificate = Base64.getEncoder().encodeToString(
                    dev.progdist.protocol.keys.Pem.readCertificate(home.publisherCertificate()).getEncoded());
            this.publisherCheck = new PublisherSignatureCheck(
                    dev.progdist.protocol.keys.Pem.readCertificate(home.distributionCaCertificate()));
            this.sealer = EnvelopeSealer.forMode(mode, random);
            this.envelopeFile = dir.resolve("crypto.envelope");
            this.opened = dir.resolve("crypto.program");
        }

        void warmUp() throws Exception {
            for (int i = 0; i < CryptoBound.CHANNEL_WARMUP; i++) {
                channel.channel(); // the handshake needs more JIT warm-up than the rest
            }
        }

        /** One delivery's crypto; this thread's CPU time before each step and after the last, then the wall time. */
        long[] once() throws Exception {
            long[] t = new long[9];
            long w0 = System.nanoTime();
            t[0] = cpu();
            channel.channel();
            t[1] = cpu();
            DeviceKeyMaterial keys = release != null ? release.wrapKey(certificate)
                    : sealer.wrapKey(certificate, statement.size());
            t[2] = cpu();
            try (EnvelopeStream in = release != null ? EnvelopeStream.ofRelease(keys)
                    : sealer.encrypt(keys, program); OutputStream out = Files.newOutputStream(envelopeFile)) {
                in.transferTo(out);
            } finally {
                keys.close();
            }
            t[3] = cpu();
            OpenedEnvelope o = EnvelopeOpener.open(envelopeFile, trp, opened);
            String envelopeSha256 = Fingerprints.sha256(envelopeFile);
            t[4] = cpu();
            if (!o.plaintextSha256Hex().equals(statement.sha256())) {
                throw new IllegalStateException("the opened program differs from the one sealed");
            }
            // the TRP's check before it installs: the certificate that travels with the delivery, then the signature
            PublisherSignatureCheck.verify(publisherCheck.publisher(publisherCertificate), statement,
                    publisherSignature);
            t[5] = cpu();
            InstallReceipt receipt = new InstallReceipt(deviceId, statement.programId(), statement.version(),
                    o.plaintextSha256Hex(), envelopeSha256, CryptoBound.SESSION_ID, nonce());
            byte[] signature = trp.sign(receipt.signedBytes());
            t[6] = cpu();
            try {
                verifier.verify(receipt, signature);
            } catch (InvalidSignatureException e) {
                throw new IllegalStateException("the receipt signature did not verify", e);
            }
            t[7] = cpu();
            t[8] = System.nanoTime() - w0;
            return t;
        }

        @Override
        public void close() {
            BenchFiles.deleteQuietly(envelopeFile);
            BenchFiles.deleteQuietly(opened);
        }
    }

    private java.security.PrivateKey unsealedKey() {
        char[] password = new SecretSource(home).get(TrpIdentityStore.passwordName(deviceId));
        try {
            KeyStore ks = KeyStores.load(TrpIdentityStore.storeFile(home, deviceId), password);
            return (java.security.PrivateKey) ks.getKey(TrpIdentityStore.IDENTITY_ALIAS, password);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the key of " + deviceId + ": " + e.getMessage(), e);
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }

    private String nonce() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
