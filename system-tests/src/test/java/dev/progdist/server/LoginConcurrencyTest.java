package dev.progdist.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.wire.SessionResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * The unauthenticated login route runs at most {@code progdist.server.login-concurrency} requests
 * at once; more are shed with {@code 503 server-busy} and {@code Retry-After} before their Argon2
 * work starts, and the limit frees up as logins finish. Here the limit is 1 and each login costs a
 * real 64 MiB Argon2id verification, so a burst overlaps.
 */
class LoginConcurrencyTest extends RouteTestCase {

    @Override
    List<String> routes() {
        return List.of("error-handling", "rest-api",
                "user-authentication", "health", "not-found");
    }

    @Override
    Map<String, String> settings() {
        return Map.of(
                        "progdist.server.login-concurrency", "1",
                        // the unknown-user check verifies against a hash of this cost
                        "progdist.auth.argon2.memory-kib", "65536",
                        "progdist.auth.argon2.iterations", "3");
    }

    @Override
    protected void doPostSetup() throws Exception {
        super.doPostSetup();
        Database db = database();
        new UserDirectory(db, new PasswordHasher(1024, 1, 1), clock).addUser("alice", SECRET.toCharArray(), Role.USER,
                false);
    }

    @Test
    void aBurstOfLoginsBeyondTheLimitIsShedWith503AndTheLimitFreesUp() throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(RawHttps.trusting(DevelopmentPki.open(home)
                .distributionCaCertificate())).build();
        List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            // distinct unknown IDs: no per-ID throttle is involved, each costs one full verification
            burst.add(client.sendAsync(HttpRequest.newBuilder(URI.create("https://localhost:" + port
                    + "/api/v1/sessions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"nobody-" + i
                            + "\",\"password\":\"not the secret\"}")).build(), HttpResponse.BodyHandlers.ofString()));
        }
        List<HttpResponse<String>> answers = burst.stream().map(CompletableFuture::join).toList();

        List<HttpResponse<String>> busy = answers.stream().filter(r -> r.statusCode() == 503).toList();
        assertThat(busy).isNotEmpty();
        for (HttpResponse<String> r : busy) {
            UserAuthenticationRouteTest.assertProblem(r, 503, "server-busy");
            assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
        }
        assertThat(answers).allSatisfy(r -> assertThat(r.statusCode()).isIn(401, 503));
        assertThat(answers).anySatisfy(r -> assertThat(r.statusCode()).isEqualTo(401));

        // every permit came back: logins one after another all get through
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> ok = https.login("alice", SECRET);
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
        }
        // other routes are not limited by logins
        assertThat(https.send(https.request("/health")).statusCode()).isEqualTo(200);
    }

    @Test
    void theBoundHoldsForEverySpellingOfTheLoginPathAndMethod() throws Exception {
        // Camel's REST matcher ignores a trailing slash and case: these all reach the login route,
        // and each must count against the same bound (a front door that matched the exact path did not)
        for (String path : List.of("/api/v1/sessions", "/api/v1/sessions/", "/API/V1/SESSIONS", "/Api/V1/Sessions/")) {
            List<RawHttps.Response> answers = rawBurst("POST", path);
            assertThat(answers).as(path).allSatisfy(r -> assertThat(r.status()).as(path + " " + r.body())
                    .isIn(401, 503));
            assertThat(answers).as(path).anySatisfy(r -> assertThat(r.status()).isEqualTo(503));
            for (RawHttps.Response r : answers.stream().filter(r -> r.status() == 503).toList()) {
                HttpHardeningTest.assertProblem(r, 503, "server-busy");
                assertThat(r.headers().get("Retry-After")).isEqualTo("1");
                // the body was read whole: the gateway's retry can reuse the connection (no new handshake)
                assertThat(r.headers().getOrDefault("Connection", "")).doesNotContainIgnoringCase("close");
            }
        }
    }

    @Test
    void aLowercaseMethodIsRefusedAtTheFrontDoor() throws Exception {
        // Jetty passes "post" through and Camel matched it to the login route as if it were POST;
        // methods are case-sensitive (RFC 9110 9.1), so the front door refuses it before any route
        for (RawHttps.Response r : rawBurst("post", "/api/v1/sessions")) {
            HttpHardeningTest.assertProblem(r, 405, "method-not-allowed");
        }
    }

    /** Numbers each burst's user IDs, so no ID fails often enough to meet the per-ID throttle (429). */
    private static final java.util.concurrent.atomic.AtomicInteger BURSTS = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Six logins at once, each on its own raw connection, for unknown IDs that no other burst uses:
     * the per-ID failure throttle would otherwise answer 429 to an ID that failed in earlier bursts.
     */
    private static List<RawHttps.Response> rawBurst(String method, String path) throws Exception {
        int burstNumber = BURSTS.incrementAndGet();
        javax.net.ssl.SSLContext tls = RawHttps.trusting(DevelopmentPki.open(home).distributionCaCertificate());
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<CompletableFuture<RawHttps.Response>> burst = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String body = "{\"userId\":\"nobody-" + burstNumber + "-" + i
                        + "\",\"password\":\"not the secret\"}";
                burst.add(CompletableFuture.supplyAsync(() -> {
                    try (RawHttps c = new RawHttps(tls, port)) {
                        return c.exchange(method + " " + path + " HTTP/1.1", "Content-Type: application/json", body);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, pool));
            }
            return burst.stream().map(CompletableFuture::join).toList();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aGatewayWaitsOutServerBusyAndLogsIn() throws Exception {
        Database db = database();
        // stored hashes of the real cost: four logins at once overlap on a limit of one
        PasswordHasher costly = new PasswordHasher(65536, 3, 1);
        List<String> fleet = List.of("fleet-0", "fleet-1", "fleet-2", "fleet-3");
        for (String user : fleet) {
            new UserDirectory(db, costly, clock).addUser(user, SECRET.toCharArray(), Role.USER, false);
        }
        FirstPathClient gateway = new FirstPathClient(URI.create("https://localhost:" + port),
                home.pkiDir().resolve("distribution-ca.crt"), Duration.ofSeconds(30));
        ExecutorService pool = Executors.newFixedThreadPool(fleet.size());
        try {
            List<CompletableFuture<SessionResponse>> logins = fleet.stream()
                    .map(user -> CompletableFuture.supplyAsync(() -> gateway.login(user, SECRET.toCharArray()), pool))
                    .toList();
            // without the client's wait on 503 server-busy, all but about one of these fail
            assertThat(logins.stream().map(CompletableFuture::join).map(SessionResponse::userId))
                    .containsExactlyInAnyOrderElementsOf(fleet);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRouteMethodTheApiDoesNotHaveIsAProblemDocument() throws Exception {
        for (String method : List.of("GET", "PUT", "PATCH", "DELETE")) {
            HttpResponse<String> r = https.send(https.request("/api/v1/sessions")
                    .method(method, HttpRequest.BodyPublishers.noBody()));
            assertThat(r.headers().firstValue("Content-Type")).as(method + " " + r.statusCode() + " " + r.body())
                    .hasValue("application/problem+json");
            JsonNode p = TestHttps.json(r);
            assertThat(p.path("status").asInt()).isEqualTo(r.statusCode());
            assertThat(p.path("code").asText()).isIn("not-found", "method-not-allowed");
        }
    }
}
