package dev.progdist.fleet;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.trp.TrpIdentityStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * Manufactures a fleet's TRPs against the development PKI, as {@code ./progdist trp manufacture}
 * does one (key pair generated inside the TRP's store, only its CSR leaves, the manufacturer CA
 * certifies it), and hands each to a {@link Registrar} that registers it to its owner. A TRP that
 * is already manufactured is kept as it is (its certificate is read back), so a provision that was
 * interrupted can simply be run again. Manufacturing runs on every core; registration in order.
 */
public final class FleetProvisioning {

    /** Which key each TRP gets: {@code ec} (P-256), {@code rsa} (3072), or {@code mixed} (alternating, EC first). */
    public enum KeyChoice {
        EC, RSA, MIXED;

        public static KeyChoice parse(String s) {
            try {
                return valueOf(s.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("--key must be ec, rsa or mixed, not '" + s + "'");
            }
        }

        /** The key type of the {@code n}th device (from 1). */
        public KeyType forDevice(int n) {
            return switch (this) {
                case EC -> KeyType.EC_P256;
                case RSA -> KeyType.RSA_3072;
                case MIXED -> n % 2 == 1 ? KeyType.EC_P256 : KeyType.RSA_3072;
            };
        }
    }

    /** Registers one device to its owner; {@code certificate} is the TRP's, for a registry that stores it. */
    @FunctionalInterface
    public interface Registrar {
        void register(String deviceId, String owner, X509Certificate certificate);
    }

    /** What a provision did. */
    public record Result(List<String> devices, int manufactured, int alreadyManufactured) {
    }

    private FleetProvisioning() {
    }

    /**
     * Manufactures (unless done before) and registers {@code <prefix>-0001} … {@code <prefix>-<count>}.
     * {@code progress} sees the number of devices done so far after each one.
     *
     * @throws IllegalArgumentException for a bad prefix or count
     * @throws dev.progdist.protocol.keys.PkiException when the home has no development PKI
     */
    public static Result provision(Home home, String prefix, int count, KeyChoice keys, String owner,
            Registrar registrar, IntConsumer progress) {
        List<String> ids = FleetDevices.ids(prefix, count);
        DevelopmentPki pki = DevelopmentPki.open(home); // fails clearly before any key is made
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()),
                r -> {
                    Thread t = new Thread(r, "progdist-fleet-manufacture");
                    t.setDaemon(true);
                    return t;
                });
        int made = 0;
        int kept = 0;
        try {
            List<Future<Object[]>> work = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                String id = ids.get(i);
                KeyType type = keys.forDevice(i + 1);
                work.add(pool.submit(() -> {
                    if (TrpIdentityStore.isManufactured(home, id)) {
                        return new Object[] {TrpIdentityStore.open(home, id).certificate(), false};
                    }
                    var csr = TrpIdentityStore.manufacture(home, id, type, false);
                    X509Certificate cert = pki.certifyDevice(id, csr);
                    TrpIdentityStore.open(home, id).install(cert, pki.manufacturerCaCertificate(),
                            pki.distributionCaCertificate());
                    return new Object[] {cert, true};
                }));
            }
            for (int i = 0; i < ids.size(); i++) {
                Object[] done;
                try {
                    done = work.get(i).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable c = e.getCause();
                    throw c instanceof RuntimeException r ? r : new IllegalStateException(c.getMessage(), c);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while provisioning", e);
                }
                if ((Boolean) done[1]) {
                    made++;
                } else {
                    kept++;
                }
                registrar.register(ids.get(i), owner, (X509Certificate) done[0]);
                progress.accept(i + 1);
            }
        } finally {
            pool.shutdownNow();
        }
        return new Result(ids, made, kept);
    }
}
