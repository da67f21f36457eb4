package dev.progdist.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.MutableClock;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;

/**
 * The user-authentication stage through its real YAML routes, real Jetty HTTPS, a real H2 database
 * and the real broker (audit queue). Time is a {@link MutableClock} so expiry and lock-out are
 * crossed without waiting.
 */
class UserAuthenticationRouteTest extends RouteTestCase {

    private static final List<String> ROUTES = List.of("error-handling", "rest-api", "user-authentication",
            "user-administration", "health", "audit", "not-found");

    String user;

    @Override
    List<String> routes() {
        return ROUTES;
    }

    @Override
    Map<String, String> settings() {
        // each test gets its own database so lock-outs and sessions do not leak between tests
        return Map.of("progdist.auth.lock-after", "5");
    }

    @Override
    protected void doPostSetup() throws Exception {
        super.doPostSetup();
        user = "alice";
        Database db = database();
        new UserDirectory(db, new PasswordHasher(1024, 1, 1), clock).addUser(user, SECRET.toCharArray(), Role.USER,
                false);
        new UserDirectory(db, new PasswordHasher(1024, 1, 1), clock).addUser("olga", SECRET.toCharArray(),
                Role.OPERATOR, false);
    }

    @Test
    void correctLoginOpensASessionWithAStrongToken() throws Exception {
        HttpResponse<String> r = https.login(user, SECRET);

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        JsonNode body = TestHttps.json(r);
        assertThat(body.path("sessionId").asText()).isNotBlank();
        // 32 random bytes, base64url: at least 128 bits as required, here 256
        assertThat(body.path("token").asText()).matches("[A-Za-z0-9_-]{43}");
        assertThat(Instant.parse(body.path("expiresAt").asText())).isEqualTo(clock.instant().plus(Duration.ofMinutes(30)));
        assertThat(body.path("role").asText()).isEqualTo("user");
        assertThat(r.headers().firstValue("Location")).hasValue("/api/v1/sessions/" + body.path("sessionId").asText());
        assertThat(r.body()).doesNotContain(SECRET);
    }

    @Test
    void wrongSecretAndUnknownUserGetTheSameAnswer() throws Exception {
        HttpResponse<String> wrong = https.login(user, "not the secret");
        HttpResponse<String> unknown = https.login("nobody", "not the secret");

        for (HttpResponse<String> r : List.of(wrong, unknown)) {
            assertProblem(r, 401, "bad-credentials");
            assertThat(r.headers().firstValue("WWW-Authenticate")).isPresent();
        }
        JsonNode a = TestHttps.json(wrong);
        JsonNode b = TestHttps.json(unknown);
        assertThat(a.path("detail")).isEqualTo(b.path("detail"));
        assertThat(a.path("title")).isEqualTo(b.path("title"));
        assertThat(wrong.headers().map().keySet()).isEqualTo(unknown.headers().map().keySet());
    }

    @Test
    void repeatedFailuresAreSlowedThenLockedAndTheLockExpires() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertProblem(https.login(user, "guess" + i), 401, "bad-credentials");
        }
        // 4th try at once: throttled, even with the right secret, and told when to come back
        HttpResponse<String> throttled = https.login(user, SECRET);
        assertProblem(throttled, 429, "login-throttled");
        assertThat(throttled.headers().firstValue("Retry-After")).hasValue("1");

        clock.advance(Duration.ofSeconds(1));
        assertProblem(https.login(user, "guess3"), 401, "bad-credentials");
        clock.advance(Duration.ofSeconds(1));
        assertProblem(https.login(user, SECRET), 429, "login-throttled"); // delay doubled to 2 s
        clock.advance(Duration.ofSeconds(1));
        assertProblem(https.login(user, "guess4"), 401, "bad-credentials"); // 5th failure: lock

        HttpResponse<String> locked = https.login(user, SECRET);
        assertProblem(locked, 429, "account-locked");
        assertThat(Long.parseLong(locked.headers().firstValue("Retry-After").orElseThrow())).isEqualTo(15 * 60);

        clock.advance(Duration.ofMinutes(14));
        assertProblem(https.login(user, SECRET), 429, "account-locked");
        clock.advance(Duration.ofMinutes(1));
        assertThat(https.login(user, SECRET).statusCode()).isEqualTo(201);
        // success clears the count: one more failure is a plain failure again
        assertProblem(https.login(user, "again"), 401, "bad-credentials");
    }

    @Test
    void anUnknownUserIdIsLockedExactlyLikeAKnownOne() throws Exception {
        List<String> known = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            known.add(TestHttps.json(https.login(user, "x" + i)).path("code").asText());
            unknown.add(TestHttps.json(https.login("ghost", "x" + i)).path("code").asText());
            clock.advance(Duration.ofSeconds(10));
        }
        assertThat(unknown).isEqualTo(known).contains("account-locked");
    }

    @Test
    void malformedJsonIsRefused() throws Exception {
        assertProblem(https.postJson("/api/v1/sessions", "{\"userId\": \"alice\", \"password\""), 400, "malformed-json");
        assertProblem(https.postJson("/api/v1/sessions", "[1,2]"), 400, "malformed-json");
        assertProblem(https.postJson("/api/v1/sessions", ""), 400, "malformed-json");
        assertProblem(https.postJson("/api/v1/sessions", "{\"userId\":\"alice\",\"password\":\"x\"} trailing"), 400,
                "malformed-json");
        assertProblem(https.postJson("/api/v1/sessions", "{\"userId\":{\"a\":1},\"password\":\"x\"}"), 400,
                "malformed-json");
    }

    @Test
    void missingAndUnknownFieldsAreNamed() throws Exception {
        HttpResponse<String> noPassword = https.postJson("/api/v1/sessions", "{\"userId\":\"alice\"}");
        assertProblem(noPassword, 400, "missing-field");
        assertThat(TestHttps.json(noPassword).path("detail").asText()).contains("password");

        assertProblem(https.postJson("/api/v1/sessions", "{\"password\":\"x\"}"), 400, "missing-field");
        assertProblem(https.postJson("/api/v1/sessions", "{\"userId\":\"\",\"password\":\"x\"}"), 400, "missing-field");
        HttpResponse<String> extra = https.postJson("/api/v1/sessions",
                "{\"userId\":\"alice\",\"password\":\"x\",\"admin\":true}");
        assertProblem(extra, 400, "invalid-field");
        assertThat(TestHttps.json(extra).path("detail").asText()).contains("admin");
    }

    @Test
    void oversizedBodiesAreRefusedWithOrWithoutContentLength() throws Exception {
        String big = "{\"userId\":\"alice\",\"password\":\"" + "a".repeat(5000) + "\"}";
        assertProblem(https.postJson("/api/v1/sessions", big), 413, "body-too-large");

        byte[] bytes = big.getBytes();
        HttpResponse<String> chunked = https.send(https.request("/api/v1/sessions")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))));
        assertProblem(chunked, 413, "body-too-large");
    }

    @Test
    void aBodyThatIsNotJsonIsRefusedByMediaType() throws Exception {
        assertProblem(https.send(https.request("/api/v1/sessions").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("userId=alice"))), 415, "unsupported-media-type");
    }

    @Test
    void anExpiredSessionIsRefusedAndSaysSo() throws Exception {
        JsonNode s = TestHttps.json(https.login(user, SECRET));
        clock.advance(Duration.ofMinutes(29));
        assertThat(refresh(s).statusCode()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(31)); // 30 min after the refresh
        assertProblem(refresh(s), 401, "session-expired");
    }

    @Test
    void aSessionNeverOutlivesItsMaximumLifetime() throws Exception {
        JsonNode s = TestHttps.json(https.login(user, SECRET));
        HttpResponse<String> last = null;
        for (int i = 0; i < 30; i++) {
            clock.advance(Duration.ofMinutes(29));
            last = refresh(s);
            if (last.statusCode() != 200) {
                break;
            }
            assertThat(Instant.parse(TestHttps.json(last).path("expiresAt").asText()))
                    .isBeforeOrEqualTo(Instant.parse("2026-01-01T12:00:00Z"));
        }
        // refreshed every 29 minutes, it still ends 12 hours after login
        assertThat(clock.instant()).isBetween(Instant.parse("2026-01-01T12:00:00Z"), Instant.parse("2026-01-01T12:29:00Z"));
        assertProblem(last, 401, "session-expired");
    }

    @Test
    void forgedMissingAndMalformedTokensAreRefused() throws Exception {
        JsonNode s = TestHttps.json(https.login(user, SECRET));
        String sid = s.path("sessionId").asText();
        String token = s.path("token").asText();
        // one character changed (a fixed "A" left the token unchanged when it began with "A": 1 run in 64)
        String forged = (token.charAt(0) == 'A' ? "B" : "A") + token.substring(1);
        assertThat(forged).isNotEqualTo(token);

        assertProblem(https.send(https.request("/api/v1/sessions/" + sid + "/refresh")
                .header("Authorization", "Bearer " + forged).POST(HttpRequest.BodyPublishers.noBody())), 401,
                "invalid-token");
        assertProblem(https.send(https.request("/api/v1/sessions/" + sid + "/refresh")
                .POST(HttpRequest.BodyPublishers.noBody())), 401, "missing-token");
        assertProblem(https.send(https.request("/api/v1/sessions/" + sid + "/refresh")
                .header("Authorization", "Basic YWxpY2U6eA==").POST(HttpRequest.BodyPublishers.noBody())), 401,
                "invalid-token");
    }

    @Test
    void closingASessionEndsItsTokenAndOnlyItsOwnerMayCloseIt() throws Exception {
        JsonNode mine = TestHttps.json(https.login(user, SECRET));
        JsonNode other = TestHttps.json(https.login("olga", SECRET));

        HttpResponse<String> foreign = https.send(https.request("/api/v1/sessions/" + other.path("sessionId").asText())
                .header("Authorization", "Bearer " + mine.path("token").asText()).DELETE());
        assertProblem(foreign, 403, "forbidden");
        assertThat(refresh(other).statusCode()).isEqualTo(200);

        HttpResponse<String> closed = https.send(https.request("/api/v1/sessions/" + mine.path("sessionId").asText())
                .header("Authorization", "Bearer " + mine.path("token").asText()).DELETE());
        assertThat(closed.statusCode()).isEqualTo(204);
        assertProblem(refresh(mine), 401, "session-expired");
    }

    @Test
    void responsesNeverEchoTheRequestCredentials() throws Exception {
        JsonNode s = TestHttps.json(https.login(user, SECRET));
        HttpResponse<String> r = refresh(s);
        assertThat(r.headers().map().keySet()).noneMatch(h -> h.equalsIgnoreCase("Authorization"));
        assertThat(r.body()).doesNotContain(s.path("token").asText());
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    }

    @Test
    void secretsAndTokensNeverReachTheLogsEvenAtTraceLevel() throws Exception {
        String wrong = "wrong-secret-" + UUID.randomUUID();
        String token;
        try (CapturedLogs logs = new CapturedLogs()) {
            token = TestHttps.json(https.login(user, SECRET)).path("token").asText();
            https.login(user, wrong);
            https.login("nobody", wrong);
            // malformed bodies carrying a secret must not be echoed by the parser's error either
            https.postJson("/api/v1/sessions", "{\"userId\":\"alice\",\"password\":\"" + wrong + "\"");
            https.postJson("/api/v1/sessions", "{\"userId\":\"alice\",\"password\":\"" + wrong + "\",\"x\":1}");
            https.send(https.request("/api/v1/sessions/x/refresh").header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.noBody()));
            https.send(https.request("/api/v1/sessions/x/refresh").header("Authorization", "Bearer " + wrong)
                    .POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(logs.all()).isNotEmpty().doesNotContain(SECRET).doesNotContain(wrong).doesNotContain(token);
        }
    }

    @Test
    void unknownRoutesAndMethodsGetProblemDocuments() throws Exception {
        assertProblem(https.send(https.request("/api/v1/nothing-here").GET()), 404, "not-found");
        assertProblem(https.send(https.request("/").GET()), 404, "not-found");
    }

    @Test
    void operatorEndpointsAnswer403ToUsersAndWorkForOperators() throws Exception {
        String userToken = TestHttps.json(https.login(user, SECRET)).path("token").asText();
        String operatorToken = TestHttps.json(https.login("olga", SECRET)).path("token").asText();

        assertProblem(https.send(https.request("/api/v1/users").header("Authorization", "Bearer " + userToken).GET()),
                403, "forbidden");
        assertProblem(https.send(https.request("/api/v1/users").GET()), 401, "missing-token");
        String newUser = "{\"userId\":\"carol\",\"password\":\"a long enough secret\",\"role\":\"user\"}";
        assertProblem(https.send(https.request("/api/v1/users").header("Authorization", "Bearer " + userToken)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(newUser))),
                403, "forbidden");

        HttpResponse<String> created = https.send(https.request("/api/v1/users")
                .header("Authorization", "Bearer " + operatorToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(newUser)));
        assertThat(created.statusCode()).isEqualTo(201);
        assertProblem(https.send(https.request("/api/v1/users")
                .header("Authorization", "Bearer " + operatorToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(newUser))), 409, "conflict");
        assertThat(https.login("carol", "a long enough secret").statusCode()).isEqualTo(201);

        HttpResponse<String> list = https.send(https.request("/api/v1/users")
                .header("Authorization", "Bearer " + operatorToken).GET());
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).contains("\"carol\"", "\"olga\"", "\"operator\"").doesNotContain("argon2");
    }

    @Test
    void healthReportsEachPart() throws Exception {
        HttpResponse<String> r = https.send(https.request("/health").GET());
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = TestHttps.json(r);
        assertThat(body.path("status").asText()).isEqualTo("UP");
        assertThat(body.path("checks").path("database").asText()).isEqualTo("UP");
        assertThat(body.path("checks").path("broker").asText()).isEqualTo("UP");
    }

    @Test
    void loginsAndFailuresReachTheAuditTableThroughTheBroker() throws Exception {
        NotifyBuilder audited = new NotifyBuilder(context).fromRoute("audit-log").whenCompleted(2).create();
        https.login(user, SECRET);
        https.login(user, "wrong secret");
        assertThat(audited.matches(20, TimeUnit.SECONDS)).isTrue();

        List<String> events = new ArrayList<>();
        Database db = database();
        try (Connection c = db.connection();
                ResultSet rs = c.createStatement().executeQuery("SELECT event, subject, detail FROM audit_events ORDER BY id")) {
            while (rs.next()) {
                events.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
            }
        }
        assertThat(events).anyMatch(e -> e.startsWith("login|")).anyMatch(e -> e.startsWith("login-failed|user:alice"));
        assertThat(String.join("\n", events)).doesNotContain(SECRET).doesNotContain("wrong secret");
    }

    private HttpResponse<String> refresh(JsonNode session) throws Exception {
        return https.send(https.request("/api/v1/sessions/" + session.path("sessionId").asText() + "/refresh")
                .header("Authorization", "Bearer " + session.path("token").asText())
                .POST(HttpRequest.BodyPublishers.noBody()));
    }

    static void assertProblem(HttpResponse<String> r, int status, String code) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode p = TestHttps.json(r);
        assertThat(p.path("type").asText()).isEqualTo("urn:progdist:problem:" + code);
        assertThat(p.path("code").asText()).isEqualTo(code);
        assertThat(p.path("status").asInt()).isEqualTo(status);
        assertThat(p.path("title").asText()).isNotBlank();
        assertThat(p.path("detail").asText()).isNotBlank();
    }
}
