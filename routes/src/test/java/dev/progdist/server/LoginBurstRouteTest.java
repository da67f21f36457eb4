package dev.progdist.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.store.Database;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 8, item 2: a burst of parallel logins for one user ID (existing or not) must not stall the
 * database pool. The old throttle held a pool connection and a row lock while the verifier took a
 * second connection and ran Argon2: twelve parallel logins stalled every database call server-wide
 * until the pool's timeout, with 500s. The pool here is as small as it can be (2), so any
 * connection held across a secret check shows.
 */
class LoginBurstRouteTest extends RouteTestCase {

    private static final List<String> ROUTES = List.of("error-handling", "rest-api", "user-authentication",
            "user-administration", "device-registry", "health", "audit", "not-found");
    private static final int BURST = 12;

    /** The operator's own client, so that its call measures the server, not a TLS handshake queued behind the burst's. */
    TestHttps operatorHttps;

    @Override
    List<String> routes() {
        return ROUTES;
    }

    @Override
    Map<String, String> settings() {
        return Map.of("progdist.db.pool-size", "2",
                // the real cost, so that a secret check takes as long as in production
                "progdist.auth.argon2.memory-kib", "19456", "progdist.auth.argon2.iterations", "2");
    }

    @Override
    protected void doPostSetup() throws Exception {
        super.doPostSetup();
        operatorHttps = newHttps();
        Database db = database();
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
