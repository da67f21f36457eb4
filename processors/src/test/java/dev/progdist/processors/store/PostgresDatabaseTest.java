package dev.progdist.processors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.auth.LoginThrottle;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.SessionStore;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.testing.PostgresSchema;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The store on PostgreSQL, the production database: the same migrations and queries as on H2.
 * Runs when {@code PROGDIST_TEST_POSTGRES_URL} (and _USER, _PASSWORD) name a database, as
 * {@code .ci/run} arranges with {@code .ci/postgres}; each run uses a fresh schema.
 */
@EnabledIfEnvironmentVariable(named = "PROGDIST_TEST_POSTGRES_URL", matches = "jdbc:postgresql:.*")
class PostgresDatabaseTest {

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

    @Test
    void migrationsCreateTheSchema() throws Exception {
        try (Connection c = db.connection();
                ResultSet rs = c.createStatement().executeQuery(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema = '" + schema.name()
                                + "' AND table_name IN ('users', 'sessions', 'login_failures', 'audit_events')")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(4);
        }
    }

    @Test
    void theForeignKeysDeclaredAgainByMigrationSevenHold() throws Exception {
        try (Connection c = db.connection();
                ResultSet rs = c.createStatement().executeQuery("SELECT constraint_name FROM "
                        + "information_schema.table_constraints WHERE constraint_type = 'FOREIGN KEY' AND table_schema = '"
                        + schema.name() + "' AND table_name IN ('rollout_assignments', 'rollout_groups', 'entitlements',"
                        + " 'device_tags') ORDER BY constraint_name")) {
            java.util.List<String> names = new java.util.ArrayList<>();
            while (rs.next()) {
                names.add(rs.getString(1));
            }
            assertThat(names).containsExactly("device_tags_device_id_fk", "entitlements_user_id_fk",
                    "rollout_assignments_rollout_id_fk", "rollout_groups_rollout_id_fk");
        }
        try (Connection c = db.connection()) {
            assertThatThrownBy(() -> c.createStatement().execute("INSERT INTO device_tags VALUES ('none', 'beta')"))
                    .hasMessageContaining("device_tags_device_id_fk");
        }
    }

    @Test
    void usersSessionsThrottlingAndAuditWork() {
        PasswordHasher hasher = new PasswordHasher(1024, 1, 1);
        UserDirectory users = new UserDirectory(db, hasher, Clock.systemUTC());
        users.addUser("pat", "pg secret value".toCharArray(), Role.OPERATOR, false);
        assertThat(users.find("pat")).hasValueSatisfying(u -> assertThat(u.role()).isEqualTo(Role.OPERATOR));
        assertThatThrownBy(() -> users.addUser("pat", "x".toCharArray(), Role.USER, false))
                .isInstanceOf(IllegalArgumentException.class);

        SessionStore sessions = new SessionStore(db, Clock.systemUTC(), Duration.ofMinutes(5), Duration.ofHours(1));
        var opened = sessions.open("pat", Role.OPERATOR);
        assertThat(sessions.resolve(opened.token()).userId()).isEqualTo("pat");
        sessions.close(opened.sessionId());
        assertThatThrownBy(() -> sessions.resolve(opened.token())).isInstanceOf(ProblemException.class);

        LoginThrottle throttle = new LoginThrottle(db, Clock.systemUTC(), 2, Duration.ofMinutes(1),
                Duration.ofMinutes(5), 3, Duration.ofMinutes(10));
        assertThat(throttle.attempt("pat", () -> false)).isInstanceOf(LoginThrottle.Rejected.class);
        assertThat(throttle.attempt("pat", () -> false)).isInstanceOf(LoginThrottle.Rejected.class);
        assertThat(throttle.attempt("pat", () -> true)).isInstanceOf(LoginThrottle.Throttled.class);

        new AuditLog(db, Clock.systemUTC()).record("test", "pat", "subject", "detail");
    }
}
