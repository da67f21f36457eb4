package dev.progdist.processors.rollout;

import static dev.progdist.processors.rollout.RolloutFixture.filter;
import static dev.progdist.processors.rollout.RolloutFixture.percents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.progdist.processors.pki.CertificateValidation;
import dev.progdist.processors.pki.ValidatedDevice;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.processors.testing.PostgresSchema;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.Pem;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two scheduler instances, each with its own connection pool, on one PostgreSQL schema (the
 * production database): {@code FOR UPDATE SKIP LOCKED} lets them share the rollouts with no leader,
 * and never lets both work one rollout at once. Runs when {@code PROGDIST_TEST_POSTGRES_URL} (and
 * _USER, _PASSWORD) name a database (see {@code .ci/postgres}).
 */
@EnabledIfEnvironmentVariable(named = "PROGDIST_TEST_POSTGRES_URL", matches = "jdbc:postgresql:.*")
class RolloutSchedulerPostgresTest {

    private static final int ROLLOUTS = 8;
    private static final int DEVICES = 5;

    @TempDir
    Path dir;
    PostgresSchema schema;
    Database second;
    RolloutFixture f;
    final MutableClock clock = new MutableClock(Instant.parse("2026-03-02T10:00:00Z"));
    /** How many schedulers hold each rollout right now, and whether two ever did at once. */
    final Map<String, AtomicInteger> inside = new ConcurrentHashMap<>();
    final AtomicBoolean overlapped = new AtomicBoolean();

    @BeforeEach
    void open() throws Exception {
        schema = PostgresSchema.create(6);
        String url = System.getenv("PROGDIST_TEST_POSTGRES_URL");
        second = Database.open(url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema.name(),
                System.getenv("PROGDIST_TEST_POSTGRES_USER"), System.getenv("PROGDIST_TEST_POSTGRES_PASSWORD"), 6);
        f = new RolloutFixture(schema.database(), dir, slow(), clock, RolloutSettings.defaults());
    }

    @AfterEach
    void close() throws Exception {
        second.close();
        schema.close();
    }

    /**
     * Certificate validation (the exclusion re-check at each group start) that takes a few
     * milliseconds as a real CRL check may, so that a second scheduler entering the same rollout
     * meanwhile would be seen by the observer.
     */
    private static CertificateValidation slow() {
        return chain -> {
            X509Certificate leaf = chain.get(0);
            try {
                Thread.sleep(5); // the simulated check's own duration, not a wait for anything
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new ValidatedDevice(leaf.getSubjectX500Principal().getName().substring(3), "0".repeat(64), leaf,
                    CertificateProfile.KeyType.EC_P256);
        };
    }

    private static String selfSigned(String deviceId) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(256);
            var keys = g.generateKeyPair();
            X500Name name = new X500Name("CN=" + deviceId);
            var holder = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, new Date(),
                    new Date(System.currentTimeMillis() + 86_400_000L * 365 * 20), name, keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
            return Pem.toPem(new JcaX509CertificateConverter().getCertificate(holder));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void twoInstancesShareTheRolloutsAndNeverWorkOneAtOnce() throws Exception {
        List<String> rollouts = new ArrayList<>();
        List<String> devices = new ArrayList<>();
        for (int r = 0; r < ROLLOUTS; r++) {
            for (String d : f.devices("r" + r, DEVICES)) {
                f.sql("UPDATE devices SET certificate_pem = ? WHERE device_id = ?", selfSigned(d), d);
                devices.add(d);
            }
            RolloutFixture.Req q = new RolloutFixture.Req();
            q.targets = filter("device=r" + r + "-*");
            q.groups = percents(20, 40, 60, 80, 100);
            q.success = 100;
            rollouts.add(f.create(q).id());
        }
        RolloutScheduler a = f.scheduler;
        RolloutScheduler b = new RolloutScheduler(second, clock, f.settings, slow());
        RolloutScheduler.Observer watch = new RolloutScheduler.Observer() {
            @Override
            public void entered(String rolloutId) {
                if (inside.computeIfAbsent(rolloutId, k -> new AtomicInteger()).incrementAndGet() > 1) {
                    overlapped.set(true);
                }
            }

            @Override
            public void left(String rolloutId) {
                inside.get(rolloutId).decrementAndGet();
            }
        };
        a.observe(watch);
        b.observe(watch);
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger workedA = new AtomicInteger();
        AtomicInteger workedB = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> ta = pool.submit(() -> {
                while (!done.get()) {
                    workedA.addAndGet(a.tick());
                }
            });
            Future<?> tb = pool.submit(() -> {
                while (!done.get()) {
                    workedB.addAndGet(b.tick());
                }
            });
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).until(() -> {
                for (String d : devices) {
                    f.deliver(d, true, null);
                }
                return f.count("SELECT COUNT(*) FROM rollouts WHERE status = 'finished'") == ROLLOUTS;
            });
            done.set(true);
            ta.get();
            tb.get();
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        assertThat(overlapped).as("two schedulers inside one rollout at once").isFalse();
        assertThat(workedA.get()).isPositive();
        assertThat(workedB.get()).isPositive();
        assertThat(f.count("SELECT COUNT(*) FROM rollouts WHERE scheduler_errors > 0")).isZero();
        for (String id : rollouts) {
            RolloutView v = f.view(id);
            assertThat(v.counts()).containsEntry("installed", (long) DEVICES);
            assertThat(v.groups()).extracting(RolloutView.Group::status).containsOnly("finished");
        }
        // every device installed exactly once, by one delivery and one attempt
        assertThat(f.count("SELECT COUNT(*) FROM deliveries WHERE outcome = 'installed'")).isEqualTo(devices.size());
        assertThat(f.count("SELECT COUNT(*) FROM rollout_assignments WHERE attempts <> 1")).isZero();
        // and each group started exactly once
        List<String> events = f.drainEvents();
        assertThat(events.stream().filter(e -> e.contains("\"type\":\"group\"") && e.contains("\"to\":\"running\""))
                .count()).isEqualTo(ROLLOUTS * 5L);
    }

    @Test
    void aRolloutLockedByOneInstanceIsSkippedByTheOther() throws Exception {
        f.devices("d", 1);
        RolloutView v = f.create(new RolloutFixture.Req());
        RolloutScheduler b = new RolloutScheduler(second, clock, f.settings, null);
        try (Connection c = f.db.connection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("SELECT rollout_id FROM rollouts WHERE rollout_id = ? "
                    + "FOR UPDATE SKIP LOCKED")) {
                ps.setString(1, v.id());
                assertThat(ps.executeQuery().next()).isTrue();
            }
            assertThat(b.tick()).isZero();
            c.rollback();
        }
        assertThat(b.tick()).isEqualTo(1);
        assertThat(f.view(v.id()).groups().get(0).status()).isEqualTo("running");
    }
}
