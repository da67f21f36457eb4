package dev.progdist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.SessionStore;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.wire.ProblemType;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code user add --replace}, {@code user disable}, {@code enable} and {@code revoke-sessions} on the local database. */
class UserCommandTest {

    @TempDir
    Path dir;

    private int run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--home");
        all.add(dir.toString());
        return ProgdistCli.commandLine().execute(all.toArray(String[]::new));
    }

    private int runWithSecret(String secret, String... args) {
        InputStream in = System.in;
        System.setIn(new ByteArrayInputStream((secret + "\n").getBytes(StandardCharsets.UTF_8)));
        try {
            return run(args);
        } finally {
            System.setIn(in);
        }
    }

    @Test
    void theUserCommandsEndSessionsAndAreAudited() throws Exception {
        Home home = Home.at(dir);
        assertThat(runWithSecret("first long secret", "user", "add", "alice")).isZero();
        String token = openSession(home);

        assertThat(run("user", "disable", "alice")).isZero();
        assertEnded(home, token);
        try (Database db = UserCommand.openDatabase(home)) {
            assertThat(new UserDirectory(db, UserCommand.hasher(), Clock.systemUTC()).find("alice").orElseThrow()
                    .disabled()).isTrue();
        }
        assertThat(run("user", "enable", "alice")).isZero();

        token = openSession(home);
        assertThat(run("user", "revoke-sessions", "alice")).isZero();
        assertEnded(home, token);

        token = openSession(home);
        assertThat(runWithSecret("second long secret", "user", "add", "alice", "--replace")).isZero();
        assertEnded(home, token);

        assertThat(run("user", "disable", "nobody")).as("unknown user").isEqualTo(2);
        assertThat(runWithSecret("third long secret", "user", "add", "ALICE")).as("case-folded duplicate").isEqualTo(2);

        assertThat(audit(home)).containsSubsequence("user-added|cli|user:alice", "user-disabled|cli|user:alice",
                "user-enabled|cli|user:alice", "user-sessions-revoked|cli|user:alice",
                "user-secret-replaced|cli|user:alice");
    }

    private static String openSession(Home home) {
        try (Database db = UserCommand.openDatabase(home)) {
            return sessions(db).open("alice", Role.USER).token();
        }
    }

    private static void assertEnded(Home home, String token) {
        try (Database db = UserCommand.openDatabase(home)) {
            try {
                sessions(db).resolve(token);
                throw new AssertionError("the session is still live");
            } catch (ProblemException e) {
                assertThat(e.type()).isEqualTo(ProblemType.SESSION_EXPIRED);
            }
        }
    }

    private static SessionStore sessions(Database db) {
        return new SessionStore(db, Clock.systemUTC(), Duration.ofMinutes(30), Duration.ofHours(12));
    }

    private static List<String> audit(Home home) throws Exception {
        List<String> out = new ArrayList<>();
        try (Database db = UserCommand.openDatabase(home); Connection c = db.connection();
                ResultSet rs = c.createStatement().executeQuery("SELECT event, actor, subject FROM audit_events ORDER BY id")) {
            while (rs.next()) {
                out.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
            }
        }
        return out;
    }
}
