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
import dev.progdist.trp.TrpIdentityStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;

/**
 * The cryptographic work one rollout delivery costs, both ends, in one thread with nothing in
 * between (no HTTP, JMS, database, device bus): the second path's TLS 1.3 handshake with mutual
 * authentication ({@link CryptoBound#channel}), the server's key wrap for the device (the sealer of
 * the rollout's mode, exactly as the server's KeyWrapping stage calls it), the envelope written out
 * (wrapped: the device's header before the release's shared ciphertext; direct: the program
 * encrypted for this device), the TRP opening it (decrypt, authenticate, SHA-256 of the program)
 * and hashing the envelope, the TRP signing the install receipt and the server checking it. The TRP's
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
    public record Result(Samples tls, Samples wrap, Samples envelope, Samples open, Samples sign, Samples verify,
            Samples total, Samples wall, long encryptOnceNanos) {

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
        TrpIdentityStore store = TrpIdentityStore.open(home, deviceId);
        X509Certificate certificate = store.certificate();
        // the key once out of its PKCS#12 store, as a TRP's secure element holds it: the emulator's
        // store unseals it per use (PBKDF2), which is the emulator's cost, not the protocol's
        DeviceKey trp = DeviceKey.inMemory(unsealedKey(), store.chain());
        CryptoBound channel = new CryptoBound(home, deviceId, BenchSystem.USER, null, null, null);
        ReceiptVerifier verifier = ReceiptVerifier.forDevice(certificate);
        ProgramStatement statement = ProgramStatement.of("bench-crypto", "1.0", program);
        EnvelopeSealer sealer = EnvelopeSealer.forMode(mode, random);
        Path envelopeFile = work.resolve("crypto.envelope");
        Path opened = work.resolve("crypto.program");
        Samples tls = new Samples();
        Samples wrap = new Samples();
        Samples envelope = new Samples();
        Samples open = new Samples();
        Samples sign = new Samples();
        Samples verify = new Samples();
        Samples total = new Samples();
        Samples wall = new Samples();
        long encryptOnce = 0;
        SealedRelease release = null;
        try {
            if (mode == EnvelopeMode.WRAPPED) {
                long t = cpu();
                release = SealedRelease.encrypt(program, work.resolve("crypto.release"), random);
                encryptOnce = cpu() - t;
            }
            for (int i = 0; i < CryptoBound.CHANNEL_WARMUP; i++) {
                channel.channel(); // the handshake needs more JIT warm-up than the rest
            }
            for (int i = 0; i < warmup + iterations; i++) {
                long w0 = System.nanoTime();
                long t0 = cpu();
                channel.channel();
                long t1 = cpu();
                DeviceKeyMaterial keys = release != null ? release.wrapKey(certificate)
                        : sealer.wrapKey(certificate, statement.size());
                long t2 = cpu();
                try (EnvelopeStream in = release != null ? EnvelopeStream.ofRelease(keys)
                        : sealer.encrypt(keys, program); OutputStream out = Files.newOutputStream(envelopeFile)) {
                    in.transferTo(out);
                } finally {
                    keys.close();
                }
                long t3 = cpu();
                OpenedEnvelope o = EnvelopeOpener.open(envelopeFile, trp, opened);
                String envelopeSha256 = Fingerprints.sha256(envelopeFile);
                long t4 = cpu();
                if (!o.plaintextSha256Hex().equals(statement.sha256())) {
                    throw new IllegalStateException("the opened program differs from the one sealed");
                }
                InstallReceipt receipt = new InstallReceipt(deviceId, statement.programId(), statement.version(),
                        o.plaintextSha256Hex(), envelopeSha256, CryptoBound.SESSION_ID, nonce());
                byte[] signature = trp.sign(receipt.signedBytes());
                long t5 = cpu();
                try {
                    verifier.verify(receipt, signature);
                } catch (InvalidSignatureException e) {
                    throw new IllegalStateException("the receipt signature did not verify", e);
                }
                long t6 = cpu();
                long w6 = System.nanoTime();
                if (i >= warmup) {
                    tls.add(t1 - t0);
                    wrap.add(t2 - t1);
                    envelope.add(t3 - t2);
                    open.add(t4 - t3);
                    sign.add(t5 - t4);
                    verify.add(t6 - t5);
                    total.add(t6 - t0);
                    wall.add(w6 - w0);
                }
            }
        } catch (EnvelopeException | IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("crypto-only delivery failed: " + e.getMessage(), e);
        } finally {
            if (release != null) {
                release.close();
            }
            BenchFiles.deleteQuietly(envelopeFile);
            BenchFiles.deleteQuietly(opened);
            BenchFiles.deleteQuietly(work.resolve("crypto.release"));
        }
        return new Result(tls, wrap, envelope, open, sign, verify, total, wall, encryptOnce);
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
