package dev.progdist.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.processors.testing.PostgresSchema;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * LoginThrottle's race between two first failures for one ID on PostgreSQL, the production
 * database. Runs when {@code PROGDIST_TEST_POSTGRES_URL} (and _USER, _PASSWORD) name a database
 * (see {@code .ci/postgres}); each run uses a fresh schema.
 */
@EnabledIfEnvironmentVariable(named = "PROGDIST_TEST_POSTGRES_URL", matches = "jdbc:postgresql:.*")
class LoginThrottlePostgresTest {

    private PostgresSchema schema;
    private Database db;

    @BeforeEach
    void freshSchema() throws Exception {
        schema = PostgresSchema.create(4);
        db = schema.database();
    }

    @AfterEach
    void dropSchema() throws Exception {
        schema.close();
    }

    /**
     * Two wrong guesses (from two server instances) that both find no row yet: both must be
     * answered (Rejected, not a 500) and both counted, so that with lockAfter = 2 the ID is then locked.
     */
    @Test
    void racingFirstFailuresAreBothRejectedAndCounted() throws Exception {
        MutableClock clock = new MutableClock();
        java.util.function.Supplier<LoginThrottle> instance = () -> new LoginThrottle(db, clock, 2,
                Duration.ofSeconds(1), Duration.ofSeconds(8), 2, Duration.ofMinutes(15));
        LoginThrottle t = instance.get();
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<LoginThrottle.Outcome>> both = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                LoginThrottle mine = instance.get();
                both.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return mine.attempt("alice", () -> false);
                }));
            }
            for (Future<LoginThrottle.Outcome> f : both) {
                assertThat(f.get(20, TimeUnit.SECONDS)).isEqualTo(new LoginThrottle.Rejected());
            }
        } finally {
            pool.shutdownNow();
        }
        try (Connection c = db.connection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT failures FROM login_failures WHERE user_id = 'alice'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(2);
        }
        assertThat(t.attempt("alice", () -> true)).isInstanceOf(LoginThrottle.Locked.class);
    }

    /** Failures recorded in parallel by several instances are all counted on PostgreSQL too. */
    @Test
    void parallelFailuresFromSeveralInstancesAreNeverLost() throws Exception {
        MutableClock clock = new MutableClock();
        int instances = 4;
        CyclicBarrier start = new CyclicBarrier(instances);
        ExecutorService pool = Executors.newFixedThreadPool(instances);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                LoginThrottle mine = new LoginThrottle(db, clock, 1000, Duration.ofSeconds(1), Duration.ofSeconds(8),
                        1000, Duration.ofMinutes(15));
                all.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    for (int g = 0; g < 5; g++) {
                        assertThat(mine.attempt("bob", () -> false)).isEqualTo(new LoginThrottle.Rejected());
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        try (Connection c = db.connection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT failures FROM login_failures WHERE user_id = 'bob'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(instances * 5);
        }
    }
}
