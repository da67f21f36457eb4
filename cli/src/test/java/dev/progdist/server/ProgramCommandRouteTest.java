package dev.progdist.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.protocol.keys.Fingerprints;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code ./progdist program ...} against the program-catalog routes on real Jetty HTTPS: the CLI
 * signs with the development publisher key, uploads, grants, lists and reports refusals. (In the CLI
 * module: the server application does not depend on the CLI; it shares the route-test fixture.)
 */
class ProgramCommandRouteTest extends RouteTestCase {

    String operatorToken;

    @Override
    List<String> routes() {
        return List.of("error-handling", "rest-api", "user-authentication", "program-catalog", "audit", "not-found");
    }

    @Override
    Map<String, String> settings() {
        return Map.of("progdist.program.max-size", String.valueOf(1L << 31));
    }

    @Override
    protected void doPostSetup() throws Exception {
        super.doPostSetup();
        UserDirectory users = new UserDirectory(database(), new PasswordHasher(1024, 1, 1), clock);
        users.addUser("alice", SECRET.toCharArray(), Role.USER, false);
        users.addUser("olga", SECRET.toCharArray(), Role.OPERATOR, false);
        operatorToken = TestHttps.json(https.login("olga", SECRET)).path("token").asText();
    }

    // ---- the CLI against this server ------------------------------------------------------------

    @Test
    void theCliSignsUploadsGrantsAndReportsRefusals() throws Exception {
        Path file = tempHome.resolve("cli-program.bin");
        byte[] program = randomBytes(300_000);
        Files.write(file, program);
        String[] server = {"--operator", "olga", "--server", "https://localhost:" + port, "--home",
            tempHome.toString()};

        assertThat(cli(concat(new String[] {"program", "publish", file.toString(), "--id", "cli-tool", "--version",
            "3.1", "--default-mode", "direct"}, server))).isZero();
        JsonNode versions = TestHttps.json(get("/api/v1/programs/cli-tool", operatorToken));
        assertThat(versions.path("versions").get(0).path("sha256").asText()).isEqualTo(Fingerprints.sha256(program));
        assertThat(versions.path("versions").get(0).path("defaultMode").asText()).isEqualTo("direct");
        assertThat(blob(Fingerprints.sha256(program))).exists();

        java.io.StringWriter err = new java.io.StringWriter();
        assertThat(cli(err, concat(new String[] {"program", "publish", file.toString(), "--id", "cli-tool",
            "--version", "3.1"}, server))).isNotZero();
        assertThat(err.toString()).contains("program-exists", "3.1");

        assertThat(cli(concat(new String[] {"program", "grant", "--id", "cli-tool", "--user", "alice"}, server)))
                .isZero();
        assertThat(TestHttps.json(get("/api/v1/programs/cli-tool/grants", operatorToken)).path("grants")
                .findValuesAsText("userId")).containsExactly("alice");
        assertThat(cli(concat(new String[] {"program", "list"}, server))).isZero();
        assertThat(cli(concat(new String[] {"program", "versions", "--id", "cli-tool"}, server))).isZero();
        assertThat(cli(concat(new String[] {"program", "deliveries", "--user", "alice"}, server))).isZero();
        assertThat(cli(concat(new String[] {"program", "revoke", "--id", "cli-tool", "--user", "alice"}, server)))
                .isZero();
        err = new java.io.StringWriter();
        assertThat(cli(err, concat(new String[] {"program", "revoke", "--id", "cli-tool", "--user", "alice"},
            server))).isNotZero();
        assertThat(err.toString()).contains("404", "not-found");
        assertThat(cli(new String[] {"program", "publish", "--help"})).isZero();
    }

    private static int cli(String... args) {
        return cli(new java.io.StringWriter(), args);
    }

    /** Runs the CLI with the operator's secret on standard input, as a pipe would give it. */
    private static int cli(java.io.StringWriter err, String... args) {
        java.io.InputStream stdin = System.in;
        // --home sets the JVM-wide progdist.home (for in-process Camel mains): restore it, or later
        // tests' servers would look for their PKI in this test's deleted home
        String home = System.getProperty(dev.progdist.protocol.Home.PROPERTY);
        System.setIn(new ByteArrayInputStream((SECRET + "\n").getBytes(StandardCharsets.UTF_8)));
        try {
            picocli.CommandLine cl = dev.progdist.cli.ProgdistCli.commandLine();
            cl.setErr(new java.io.PrintWriter(err, true));
            return cl.execute(args);
        } finally {
            System.setIn(stdin);
            if (home == null) {
                System.clearProperty(dev.progdist.protocol.Home.PROPERTY);
            } else {
                System.setProperty(dev.progdist.protocol.Home.PROPERTY, home);
            }
        }
    }

    private static String[] concat(String[] a, String[] b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        return https.send(https.request(path).header("Authorization", "Bearer " + token).GET());
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static Path blob(String sha) {
        return home.blobsDir().resolve("sha256").resolve(sha.substring(0, 2)).resolve(sha);
    }
}
