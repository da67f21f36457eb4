package dev.progdist.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.store.Database;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.apache.camel.component.jetty.JettyHttpEndpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP front door of the server against a hostile client, through the real YAML routes and real
 * Jetty HTTPS: slow bodies, multipart and form bodies, tokens in the query string, weak TLS suites,
 * Jetty's own error answers and duplicate JSON keys. Each request is sent raw over TLS where a
 * well-behaved client would not send it.
 */
class HttpHardeningTest extends RouteTestCase {

    private static final List<String> ROUTES = List.of("error-handling", "rest-api", "user-authentication",
            "user-administration", "health", "not-found");
    /** Small budgets, so that a test can exceed them with a few dozen connections. */
    private static final Map<String, String> SETTINGS = Map.of(
            "progdist.server.threads.max", "16",
            "progdist.server.threads.min", "4",
            "progdist.server.max-connections", "64",
            "progdist.server.body-read-timeout", "PT2S",
            "progdist.server.header-timeout", "PT2S",
            "progdist.server.idle-timeout-at-limit", "PT1S");

    static SSLContext tls;

    @BeforeAll
    static void pki() throws Exception {
        tls = RawHttps.trusting(DevelopmentPki.open(home).distributionCaCertificate());
    }

    @Override
    List<String> routes() {
        return ROUTES;
    }

    @Override
    Map<String, String> settings() {
        return SETTINGS;
    }

    @Override
    protected void doPostSetup() throws Exception {
        super.doPostSetup();
        Database db = database();
        UserDirectory users = new UserDirectory(db, new PasswordHasher(1024, 1, 1), clock);
        users.addUser("alice", SECRET.toCharArray(), Role.USER, false);
        users.addUser("olga", SECRET.toCharArray(), Role.OPERATOR, false);
    }

    // item 1: slow bodies

    @Test
    void tricklingLoginBodiesBeyondTheThreadBudgetDoNotStopHealthOrLogins() throws Exception {
        ScheduledExecutorService trickle = Executors.newScheduledThreadPool(2);
        List<RawHttps> slow = new ArrayList<>();
        try {
            // more slow connections than the server has threads, each one byte at a time, rarely
            // enough that no read sees a data rate below the minimum before the checks below
            for (int i = 0; i < 24; i++) {
                RawHttps c = new RawHttps(tls, port);
                slow.add(c);
                c.write("POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 4000\r\n\r\n{");
                trickle.scheduleAtFixedRate(() -> {
                    try {
                        c.write(" ");
                    } catch (IOException e) {
                        throw new IllegalStateException(e); // ends this connection's task
                    }
                }, 1500, 1500, TimeUnit.MILLISECONDS);
            }
            // let the slow requests reach the server's request handling
            CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS)).join();

            long start = System.nanoTime();
            HttpResponse<String> health = https.send(https.request("/health").timeout(Duration.ofSeconds(5)));
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));

            start = System.nanoTime();
            HttpResponse<String> login = https.send(https.request("/api/v1/sessions").timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"alice\",\"password\":\"" + SECRET + "\"}")));
            assertThat(login.statusCode()).as(login.body()).isEqualTo(201);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        } finally {
            trickle.shutdownNow();
            slow.forEach(RawHttps::close);
        }
    }

    @Test
    void tricklingHeadersAndHandshakesBeyondTheConnectionLimitAreCutAtTheHeaderDeadline() throws Exception {
        ScheduledExecutorService trickle = Executors.newScheduledThreadPool(2);
        List<Closeable> slow = new ArrayList<>();
        try {
            // 48 TLS connections that send a request's headers one byte at a time, often enough that
            // the 30 s idle timeout never runs out
            byte[] head = ("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "a".repeat(4000))
                    .getBytes(StandardCharsets.ISO_8859_1);
            for (int i = 0; i < 48; i++) {
                RawHttps c = new RawHttps(tls, port);
                slow.add(c);
                trickleBytes(trickle, head, b -> c.write(new byte[] {b}));
            }
            // and 32 plain TCP connections that send a TLS ClientHello record the same way, so the
            // handshake never completes: more connections than progdist.server.max-connections (64)
            byte[] hello = new byte[4000];
            System.arraycopy(new byte[] {0x16, 0x03, 0x01, 0x3f, (byte) 0xff, 0x01}, 0, hello, 0, 6);
            for (int i = 0; i < 32; i++) {
                Socket s = new Socket("127.0.0.1", port);
                slow.add(s);
                OutputStream out = s.getOutputStream();
                trickleBytes(trickle, hello, b -> {
                    out.write(b);
                    out.flush();
                });
            }
            long start = System.nanoTime();

            // once the header deadline (2 s here) has passed, health and logins answer promptly again
            await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .untilAsserted(() -> assertThat(https.send(https.request("/health")
                            .timeout(Duration.ofSeconds(1))).statusCode()).isEqualTo(200));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
            long loginStart = System.nanoTime();
            HttpResponse<String> login = https.send(https.request("/api/v1/sessions").timeout(Duration.ofSeconds(3))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"alice\",\"password\":\"" + SECRET + "\"}")));
            assertThat(login.statusCode()).as(login.body()).isEqualTo(201);
            assertThat(Duration.ofNanos(System.nanoTime() - loginStart)).isLessThan(Duration.ofSeconds(2));
        } finally {
            trickle.shutdownNow();
            for (Closeable c : slow) {
                try {
                    c.close();
                } catch (IOException e) {
                    // closing a test connection
                }
            }
        }
    }

    @Test
    void aConnectionWithoutCompleteHeadersIsClosedAfterTheHeaderTimeout() throws Exception {
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        byte[] head = ("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "a".repeat(4000))
                .getBytes(StandardCharsets.ISO_8859_1);
        try {
            try (RawHttps first = new RawHttps(tls, port)) {
                // the first request of a connection
                long start = System.nanoTime();
                trickleBytes(trickle, head, b -> first.write(new byte[] {b}));
                assertThatThrownBy(first::read).isInstanceOf(IOException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(1500),
                        Duration.ofSeconds(5));
            }
            // opened only now: a connection left idle while the first one trickled is itself cut by the
            // header deadline before its first request (that made this test flaky under load)
            try (RawHttps next = new RawHttps(tls, port)) {
                // the next request on a kept-alive connection: cut within two header timeouts
                assertThat(next.exchange("GET /health HTTP/1.1", "", null).status()).isEqualTo(200);
                long start = System.nanoTime();
                trickleBytes(trickle, head, b -> next.write(new byte[] {b}));
                assertThatThrownBy(next::read).isInstanceOf(IOException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(1500),
                        Duration.ofSeconds(7));
            }
        } finally {
            trickle.shutdownNow();
        }
    }

    interface ByteSink {
        void write(byte b) throws IOException;
    }

    /** Sends {@code bytes} one every 300 ms; stops at the first failed write (the server closed). */
    private static void trickleBytes(ScheduledExecutorService trickle, byte[] bytes, ByteSink sink) {
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        trickle.scheduleAtFixedRate(() -> {
            int i = next.getAndIncrement();
            if (i >= bytes.length) {
                throw new IllegalStateException("all sent"); // ends this task
            }
            try {
                sink.write(bytes[i]);
            } catch (IOException e) {
                throw new IllegalStateException(e); // ends this task
            }
        }, 0, 300, TimeUnit.MILLISECONDS);
    }

    @Test
    void aLoginBodyThatStopsArrivingGets408WithinTheDeadline() throws Exception {
        try (RawHttps c = new RawHttps(tls, port)) {
            long start = System.nanoTime();
            c.write("POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 4000\r\n\r\n{\"userId\":");
            RawHttps.Response r = c.read();
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertProblem(r, 408, "request-timeout");
            assertThat(took).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(5));
        }
    }

    @Test
    void aTrickledLoginBodyGets408WithinTheDeadline() throws Exception {
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try (RawHttps c = new RawHttps(tls, port)) {
            long start = System.nanoTime();
            c.write("POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 4000\r\n\r\n{");
            trickle.scheduleAtFixedRate(() -> {
                try {
                    c.write(" ");
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, 100, 100, TimeUnit.MILLISECONDS);
            RawHttps.Response r = c.read();

            // about 10 bytes/s: refused by the minimum data rate after its first second, before the deadline
            assertProblem(r, 408, "request-timeout");
            assertThat(r.json().path("detail").asText()).contains("too slowly");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1900));
        } finally {
            trickle.shutdownNow();
        }
    }

    // items 3, 4, 6: multipart and form bodies

    @Test
    void aLargeMultipartUploadToAnUnknownPathIsRefusedAndLeavesNoFile() throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Set<String> before = multipartFiles(tmp);
        byte[] chunk = new byte[64 * 1024];
        int chunks = 20 * 16; // 20 MiB
        String boundary = "----progdist-test";
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n";
        String tail = "\r\n--" + boundary + "--\r\n";
        long length = head.length() + (long) chunk.length * chunks + tail.length();
        try (RawHttps c = new RawHttps(tls, port)) {
            c.write("POST /nothing/here HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary="
                    + boundary + "\r\nContent-Length: " + length + "\r\n\r\n" + head);
            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < chunks; i++) {
                        c.write(chunk);
                    }
                    c.write(tail);
                } catch (IOException e) {
                    // the server may close the connection once it has answered
                }
            });
            RawHttps.Response r = c.read();
            assertProblem(r, 415, "unsupported-media-type");
            upload.exceptionally(e -> null);
        }
        // whatever the server might have spooled would be there by now: the answer came after it
        assertThat(multipartFiles(tmp)).isSubsetOf(before);
    }

    @Test
    void aFormBodyIsRefusedAndItsSecretReachesNoLog() throws Exception {
        String secret = "form-secret-" + System.nanoTime();
        try (CapturedLogs logs = new CapturedLogs()) {
            // what curl -d sends: a JSON-looking body with the form content type
            HttpResponse<String> login = https.send(https.request("/api/v1/sessions")
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"userId\":\"alice\",\"password\":\"" + secret + "\"}\r\nforged line")));
            HttpResponse<String> elsewhere = https.send(https.request("/nothing/here")
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("password=" + secret + "&a=b")));

            UserAuthenticationRouteTest.assertProblem(login, 415, "unsupported-media-type");
            UserAuthenticationRouteTest.assertProblem(elsewhere, 415, "unsupported-media-type");
            assertThat(logs.all()).doesNotContain(secret);
        }
    }

    // item 10: the bearer token only from the Authorization header

    @Test
    void aBearerTokenInTheQueryStringIsRefusedAndTheHeaderWorks() throws Exception {
        String token = TestHttps.json(https.login("olga", SECRET)).path("token").asText();

        HttpResponse<String> header = https.send(https.request("/api/v1/users")
                .header("Authorization", "Bearer " + token));
        assertThat(header.statusCode()).isEqualTo(200);

        // "author\u0131zation" (dotless i): Camel's case-insensitive header map takes it for Authorization
        for (String name : List.of("Authorization", "authorization", "%41uthorization", "author%C4%B1zation",
                "ACCESS_TOKEN")) {
            HttpResponse<String> query = https.send(https.request("/api/v1/users?" + name + "=Bearer%20" + token));
            UserAuthenticationRouteTest.assertProblem(query, 400, "token-in-query");
        }
        // also when the header is there too: a token in the URL is in logs and histories already
        HttpResponse<String> both = https.send(https.request("/api/v1/users?Authorization=Bearer%20" + token)
                .header("Authorization", "Bearer " + token));
        UserAuthenticationRouteTest.assertProblem(both, 400, "token-in-query");
    }

    @Test
    void everyHttpEndpointReadsRequestsWithTheApiBinding() {
        List<JettyHttpEndpoint> endpoints = context.getEndpoints().stream()
                .filter(JettyHttpEndpoint.class::isInstance).map(JettyHttpEndpoint.class::cast).toList();
        assertThat(endpoints).hasSizeGreaterThan(5);
        assertThat(endpoints).allSatisfy(e -> {
            assertThat(e.getHttpBinding()).as(e.getEndpointUri()).isInstanceOf(ApiHttpBinding.class);
            assertThat(e.getHttpBinding().isMapHttpMessageFormUrlEncodedBody()).isFalse();
            assertThat(e.isEnableMultipartFilter()).isFalse();
            assertThat(e.isDisableStreamCache()).isTrue();
        });
    }

    @Test
    void queryParametersDoNotOverrideCamelOrPathHeaders() throws Exception {
        JsonNode session = TestHttps.json(https.login("alice", SECRET));
        String token = session.path("token").asText();
        String sid = session.path("sessionId").asText();

        // the path's {sid} wins over a query parameter of the same name
        HttpResponse<String> refresh = https.send(https.request("/api/v1/sessions/" + sid + "/refresh?sid=other")
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(refresh.statusCode()).as(refresh.body()).isEqualTo(200);
        // Camel's own headers cannot be set from outside
        HttpResponse<String> health = https.send(https.request("/health?CamelHttpResponseCode=500"
                + "&camelHttpPath=/api/v1/users"));
        assertThat(health.statusCode()).isEqualTo(200);
    }

    // item 12: AEAD suites only

    @Test
    void tls12OffersAeadSuitesOnly() throws Exception {
        // the development PKI's HTTPS key is EC P-256: ECDSA suites
        assertThatThrownBy(() -> new RawHttps(tls, port, "TLSv1.2",
                new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"}).close())
                .isInstanceOf(SSLHandshakeException.class);
        assertThatThrownBy(() -> new RawHttps(tls, port, "TLSv1.2",
                new String[] {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"}).close())
                .isInstanceOf(SSLHandshakeException.class);
        for (String suite : List.of("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")) {
            try (RawHttps c = new RawHttps(tls, port, "TLSv1.2", new String[] {suite})) {
                assertThat(c.socket().getSession().getCipherSuite()).isEqualTo(suite);
                assertThat(c.exchange("GET /health HTTP/1.1", "", null).status()).isEqualTo(200);
            }
        }
        try (RawHttps c = new RawHttps(tls, port, "TLSv1.3", null)) {
            assertThat(c.socket().getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
    }

    // item 14: Jetty's own answers as problem+json, duplicate JSON keys

    @Test
    void anAmbiguousPathIsAProblem() throws Exception {
        try (RawHttps c = new RawHttps(tls, port)) {
            assertProblem(c.exchange("GET /a%2F..%2Fb HTTP/1.1", "", null), 400, "malformed-request");
        }
    }

    @Test
    void oversizedHeadersAreAProblem() throws Exception {
        try (RawHttps c = new RawHttps(tls, port)) {
            assertProblem(c.exchange("GET /health HTTP/1.1", "X-Big: " + "a".repeat(64 * 1024), null), 431,
                    "headers-too-large");
        }
    }

    @Test
    void anOverlongUriIsAProblem() throws Exception {
        try (RawHttps c = new RawHttps(tls, port)) {
            assertProblem(c.exchange("GET /health?x=" + "a".repeat(16 * 1024) + " HTTP/1.1", "", null), 414,
                    "uri-too-long");
        }
    }

    @Test
    void optionsAndTraceAreProblems() throws Exception {
        for (String path : List.of("/api/v1/sessions", "/health", "/nothing/here", "*")) {
            try (RawHttps c = new RawHttps(tls, port)) {
                RawHttps.Response r = c.exchange("OPTIONS " + path + " HTTP/1.1", "", null);
                assertProblem(r, 405, "method-not-allowed");
                assertThat(r.headers()).doesNotContainKey("Allow");
            }
        }
        try (RawHttps c = new RawHttps(tls, port)) {
            assertProblem(c.exchange("TRACE /api/v1/sessions HTTP/1.1", "", null), 405, "method-not-allowed");
        }
    }

    @Test
    void duplicateJsonKeysAreRefused() throws Exception {
        // before: the last one won, and this logged in as alice
        HttpResponse<String> r = https.postJson("/api/v1/sessions",
                "{\"userId\":\"nobody\",\"userId\":\"alice\",\"password\":\"" + SECRET + "\"}");
        UserAuthenticationRouteTest.assertProblem(r, 400, "malformed-json");
        assertThat(TestHttps.json(r).path("detail").asText()).contains("userId");
    }

    static void assertProblem(RawHttps.Response r, int status, String code) throws IOException {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        JsonNode p = r.json();
        assertThat(p.path("code").asText()).isEqualTo(code);
        assertThat(p.path("type").asText()).isEqualTo("urn:progdist:problem:" + code);
        assertThat(p.path("status").asInt()).isEqualTo(status);
        assertThat(p.path("detail").asText()).isNotBlank();
    }

    private static Set<String> multipartFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.toLowerCase(java.util.Locale.ROOT).contains("multipart"))
                    .collect(Collectors.toCollection(HashSet::new));
        }
    }

}
