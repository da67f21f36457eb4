package dev.progdist.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.pki.DevelopmentPki;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.protocol.Home;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, item 2: a burst of parallel logins for one user ID (existing or not) must not stall the
 * database pool. The old throttle held a pool connection and a row lock while the verifier took a
 * second connection and ran Argon2: twelve parallel logins stalled every database call server-wide
 * until the pool's timeout, with 500s. The pool here is as small as it can be (2), so any
 * connection held across a secret check shows.
 */
class LoginBurstRouteTest extends CamelTestSupport {

    private static final List<String> ROUTES = List.of("error-handling", "rest-api", "user-authentication",
            "user-administration", "device-registry", "health", "audit", "not-found");
    private static final String SECRET = "correct horse battery staple";
    private static final int BURST = 12;

    @TempDir
    static Path tempHome;
    static Home home;
    static int port;

    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    TestHttps https;
    /** The operator's own client, so that its call measures the server, not a TLS handshake queued behind the burst's. */
    TestHttps operatorHttps;

    @BeforeAll
    static void pki() throws Exception {
        home = Home.at(tempHome);
        DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        RouteTestServer.configure(context, tempHome, port, clock, ROUTES, Map.of("progdist.db.pool-size", "2",
                // the real cost, so that a secret check takes as long as in production
                "progdist.auth.argon2.memory-kib", "19456", "progdist.auth.argon2.iterations", "2"));
        return context;
    }

    @Override
    protected void doPostSetup() throws Exception {
        https = new TestHttps(URI.create("https://localhost:" + port), DevelopmentPki.open(home)
                .distributionCaCertificate());
        operatorHttps = new TestHttps(URI.create("https://localhost:" + port), DevelopmentPki.open(home)
                .distributionCaCertificate());
        Database db = context.getRegistry().lookupByNameAndType("database", Database.class);
        UserDirectory users = new UserDirectory(db, PasswordHasher.owaspDefault(), clock);
        users.addUser("alice", SECRET.toCharArray(), Role.USER, false);
        users.addUser("olga", SECRET.toCharArray(), Role.OPERATOR, false);
    }

    @ParameterizedTest
    @ValueSource(strings = {"alice", "burst-1"})
    void aBurstOfLoginsForOneIdLeavesOperatorCallsFastAndAnswersNo500(String userId) throws Exception {
        String operator = TestHttps.json(operatorHttps.login("olga", SECRET)).path("token").asText();
        ExecutorService pool = Executors.newFixedThreadPool(BURST + 1);
        CyclicBarrier start = new CyclicBarrier(BURST + 1);
        try {
            // open the burst's connections first (TLS handshakes are not what is measured)
            List<Future<HttpResponse<String>>> warm = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                warm.add(pool.submit(() -> https.send(https.request("/health").GET())));
            }
            for (Future<HttpResponse<String>> f : warm) {
                assertThat(f.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            CountDownLatch burstDone = new CountDownLatch(BURST);
            List<Future<HttpResponse<String>>> logins = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                logins.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    try {
                        return https.login(userId, "wrong-password-xx");
                    } finally {
                        burstDone.countDown();
                    }
                }));
            }
            // operator calls one after another for as long as the burst lasts: the slowest one counts
            Future<Duration> operatorCall = pool.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                Duration slowest = Duration.ZERO;
                do {
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = operatorHttps.send(operatorHttps.request("/api/v1/devices")
                            .header("Authorization", "Bearer " + operator).GET());
                    Duration took = Duration.ofNanos(System.nanoTime() - t0);
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    slowest = took.compareTo(slowest) > 0 ? took : slowest;
                } while (burstDone.getCount() > 0);
                return slowest;
            });

            List<Integer> statuses = new ArrayList<>();
            for (Future<HttpResponse<String>> f : logins) {
                HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
                statuses.add(r.statusCode());
                if (r.statusCode() == 429 || r.statusCode() == 503) {
                    assertThat(r.headers().firstValue("Retry-After")).as(r.body()).isPresent();
                }
            }
            assertThat(operatorCall.get(60, TimeUnit.SECONDS)).isLessThan(Duration.ofSeconds(1));
            assertThat(statuses).as("statuses of the burst").doesNotContain(500).isSubsetOf(401, 429, 503)
                    .contains(401);
        } finally {
            pool.shutdownNow();
        }
        // the burst counted as at most a few failures: the right secret, once the delay is over, works
        clock.advance(Duration.ofMinutes(1));
        if (userId.equals("alice")) {
            assertThat(https.login("alice", SECRET).statusCode()).isEqualTo(201);
        }
    }
}
