package dev.progdist.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.progdist.it.Fleet;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.server.RunningServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * State-changing CLI commands on a home whose server runs: with {@code --operator} they go through
 * the operator API (audited as that operator); without it they still work directly in the
 * database (as the application account, not the admin) and say so; with no server, no note.
 */
class CliWhileServerRunsTest {

    private static final char[] ALICE = "alice-secret-123".toCharArray();
    private static final String OPS = "ops-secret-12345";

    @TempDir
    Path dir;

    private Fleet fleet;

    @BeforeEach
    void start() throws Exception {
        fleet = Fleet.start(dir, "alice", ALICE, Map.of());
        fleet.addUser("ops", OPS.toCharArray(), Role.OPERATOR);
    }

    @AfterEach
    void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void theServerSaysWhereItRunsAndTakesItBackWhenItStops() throws Exception {
        assertThat(RunningServer.find(fleet.home)).map(RunningServer::url).map(Object::toString)
                .contains("https://localhost:" + fleet.port);

        fleet.close();
        fleet = null;

        assertThat(RunningServer.find(Home.at(dir))).isEmpty();
    }

    @Test
    void withOperatorTheChangesGoThroughTheApiAndAreAuditedAsTheOperator() throws Exception {
        Run register = cli(OPS + "\n", "device", "register", "--device", "d1", "--owner", "alice",
                "--operator", "ops");
        assertThat(register.code).as(register.err).isZero();
        assertThat(register.out).contains("d1", "alice", "active");
        assertThat(register.err).doesNotContain("note");

        Run disable = cli(OPS + "\n", "device", "disable", "--device", "d1", "--operator", "ops");
        assertThat(disable.code).as(disable.err).isZero();
        assertThat(disable.out).contains("disabled");

        // the new user's secret first, then the operator's (as two lines of a pipe)
        Run add = cli("bob-secret-12345\n" + OPS + "\n", "user", "add", "bob", "--operator", "ops");
        assertThat(add.code).as(add.err).isZero();

        awaitAudit("device-registered", "ops", "device:d1");
        awaitAudit("device-disabled", "ops", "device:d1");
        awaitAudit("user-added", "ops", "user:bob");
        assertThat(registeredBy("d1")).isEqualTo("ops");
        fleet.client().login("bob", "bob-secret-12345".toCharArray());
    }

    @Test
    void withoutOperatorTheChangeIsMadeInTheDatabaseWithANote() throws Exception {
        Run register = cli("", "device", "register", "--device", "d2", "--owner", "alice");

        assertThat(register.code).as(register.err).isZero();
        assertThat(register.err).contains("the server at https://localhost:" + fleet.port + " is running",
                "directly in its database", "--operator");
        assertThat(register.err.lines()).hasSize(1);
        assertThat(registeredBy("d2")).isEqualTo("cli");
        assertThat(audit("device-registered", "device:d2")).isEmpty();

        Run add = cli("carol-secret-1234\n", "user", "add", "carol");
        assertThat(add.code).as(add.err).isZero();
        assertThat(add.err).contains("--operator");
        fleet.client().login("carol", "carol-secret-1234".toCharArray());

        fleet.close();
        fleet = null;

        Run disable = cli("", "device", "disable", "--device", "d2");
        assertThat(disable.code).as(disable.err).isZero();
        assertThat(disable.out).contains("disabled");
        assertThat(disable.err).isEmpty();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private record Run(int code, String out, String err) {
    }

    /** Runs the CLI in this JVM on the fleet's home, {@code stdin} as a pipe would give it. */
    private Run cli(String stdin, String... args) {
        InputStream in = System.in;
        PrintStream out = System.out;
        PrintStream err = System.err;
        String home = System.getProperty(Home.PROPERTY);
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        System.setOut(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
        try {
            picocli.CommandLine cl = ProgdistCli.commandLine();
            cl.setErr(new java.io.PrintWriter(System.err, true));
            int code = cl.execute(Stream.concat(Stream.of(args), Stream.of("--home", dir.toString()))
                    .toArray(String[]::new));
            return new Run(code, outBytes.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(in);
            System.setOut(out);
            System.setErr(err);
            if (home == null) {
                System.clearProperty(Home.PROPERTY);
            } else {
                System.setProperty(Home.PROPERTY, home);
            }
        }
    }

    private String registeredBy(String device) throws Exception {
        try (Connection c = fleet.serverBean("database", Database.class).connection();
                PreparedStatement p = c.prepareStatement("SELECT registered_by FROM devices WHERE device_id = ?")) {
            p.setString(1, device);
            try (ResultSet rs = p.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getString(1);
            }
        }
    }

    private void awaitAudit(String event, String actor, String subject) {
        await().atMost(Duration.ofSeconds(10)).until(() -> audit(event, subject).contains(actor));
    }

    private List<String> audit(String event, String subject) throws Exception {
        List<String> actors = new ArrayList<>();
        try (Connection c = fleet.serverBean("database", Database.class).connection();
                PreparedStatement p = c.prepareStatement(
                        "SELECT actor FROM audit_events WHERE event = ? AND subject = ?")) {
            p.setString(1, event);
            p.setString(2, subject);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    actors.add(rs.getString(1));
                }
            }
        }
        return actors;
    }
}
