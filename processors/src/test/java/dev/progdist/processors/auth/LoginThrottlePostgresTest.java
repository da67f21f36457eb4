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
     * Two wrong guesses that both find no row yet: both must be answered (Rejected, not a 500)
     * and both counted, so that with lockAfter = 2 the ID is then locked.
     */
    @Test
    void racingFirstFailuresAreBothRejectedAndCounted() throws Exception {
        MutableClock clock = new MutableClock();
        LoginThrottle t = new LoginThrottle(db, clock, 2, Duration.ofSeconds(1), Duration.ofSeconds(8), 2,
                Duration.ofMinutes(15));
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<LoginThrottle.Outcome>> both = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                both.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return t.attempt("alice", () -> false);
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
}
