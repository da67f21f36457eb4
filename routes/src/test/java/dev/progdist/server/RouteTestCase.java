package dev.progdist.server;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.protocol.Home;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * A route test against the real server ({@link RouteTestServer}): one development PKI and one free
 * port per test class, a fresh database and Camel context per test, a test clock, and an HTTPS
 * client that trusts only the distribution CA. A subclass names its route files and settings.
 */
abstract class RouteTestCase extends CamelTestSupport {

    static final String SECRET = "correct horse battery staple";

    @TempDir
    static Path tempHome;
    static Home home;
    static int port;

    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    TestHttps https;

    @BeforeAll
    static void developmentPkiAndPort() throws Exception {
        home = Home.at(tempHome);
        DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
    }

    /** The route files ({@code classpath:camel/<name>.camel.yaml}) this test loads. */
    abstract List<String> routes();

    /** Settings on top of {@link RouteTestServer}'s. */
    Map<String, String> settings() {
        return Map.of();
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        RouteTestServer.configure(context, tempHome, port, clock, routes(), settings());
        return context;
    }

    @Override
    protected void doPostSetup() throws Exception {
        https = newHttps();
    }

    /** A new HTTPS client of the server (its own connections). */
    static TestHttps newHttps() throws Exception {
        return new TestHttps(URI.create("https://localhost:" + port), DevelopmentPki.open(home)
                .distributionCaCertificate());
    }

    Database database() {
        return context.getRegistry().lookupByNameAndType("database", Database.class);
    }
}
