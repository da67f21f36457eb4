package dev.progdist.server;

import static dev.progdist.server.UserAuthenticationRouteTest.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserAdministration;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.channel.ChannelLog;
import dev.progdist.processors.channel.InnerChannel;
import dev.progdist.processors.store.AuditLog;
import dev.progdist.protocol.tls.TlsEndpoint;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, items 8, 11 and 13 through the real YAML routes and real Jetty HTTPS: a new secret,
 * disabling a user and revoking sessions end the user's sessions and second paths; the per-user
 * caps on sessions and channels and the per-session channel rate; IDs equal under case folding.
 */
class UserAdministrationRouteTest extends RouteTestCase {

    private static final List<String> ROUTES = List.of("error-handling", "rest-api", "user-authentication",
            "user-administration", "device-registry", "1-inner-channel", "2-certificate-validation", "3-processor-authentication", "health",
            "audit", "not-found");
    private static final String NEW_SECRET = "a brand new secret value";
    /** Not TLS: the channel fails at once (and leaves one channel_events row). */
    private static final byte[] GARBAGE = "this is not a TLS record".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /**
     * Junk that starts like a ClientHello (handshake record, type 1): after a channel ended, only
     * such a body starts the session's next channel, so this is what a session flooding new
     * channels sends.
     */
    private static final byte[] BROKEN_CLIENT_HELLO = {22, 3, 1, 0, 8, 1, 0, 0, 4, 'j', 'u', 'n', 'k'};

    String operator;

    @Override
    List<String> routes() {
        return ROUTES;
    }

    @Override
    Map<String, String> settings() {
        return Map.of(
                "progdist.auth.max-sessions-per-user", "4",
                "progdist.channel.max-per-user", "2",
                "progdist.channel.max-new-per-session", "3");
    }

    @Override
    protected void doPostSetup() throws Exception {
        super.doPostSetup();
        UserDirectory users = directory();
        users.addUser("alice", SECRET.toCharArray(), Role.USER, false);
        users.addUser("olga", SECRET.toCharArray(), Role.OPERATOR, false);
        operator = TestHttps.json(https.login("olga", SECRET)).path("token").asText();
    }

    private UserDirectory directory() {
        return new UserDirectory(database(), new PasswordHasher(1024, 1, 1), clock);
    }

    // --- item 8 ---

    /** A new secret, set the way the server does it, ends the old sessions and their channels at once. */
    @Test
    void aNewSecretEndsTheOldSessionsAndTheirChannels() throws Exception {
        JsonNode old = login("alice", SECRET);
        assertThat(startChannel(old).statusCode()).isEqualTo(200);

        UserAdministration admin = context.getRegistry().lookupByNameAndType("userAdministration",
                UserAdministration.class);
        UserAdministration.Change c = admin.add("test", "alice", NEW_SECRET.toCharArray(), Role.USER, true);
        assertThat(c.sessionsEnded()).isEqualTo(1);

        assertProblem(refresh(old), 401, "session-expired");
        assertProblem(startChannel(old), 401, "session-expired");
        assertThat(channelEvents(old)).contains("closed session-ended");
        assertProblem(https.login("alice", SECRET), 401, "bad-credentials");
        assertThat(https.login("alice", NEW_SECRET).statusCode()).isEqualTo(201);
    }

    /**
     * The CLI changes the database from another process, which holds no channels: the old token is
     * refused on the channel's next request, and the expiry check ends the channel.
     */
    @Test
    void aNewSecretFromTheCliEndsTheChannelAtItsNextRequestAndAtTheExpiryCheck() throws Exception {
        JsonNode old = login("alice", SECRET);
        assertThat(startChannel(old).statusCode()).isEqualTo(200);
        // what 'user add alice --replace' runs (UserCommand.administration)
        new UserAdministration(directory(), new AuditLog(database(), clock)::record)
                .add("cli", "alice", NEW_SECRET.toCharArray(), Role.USER, true);

        assertProblem(startChannel(old), 401, "session-expired");
        assertThat(channelEvents(old)).doesNotContain("closed session-ended");
        context.getRegistry().lookupByNameAndType("innerChannel", InnerChannel.class).expireIdle();
        assertThat(channelEvents(old)).contains("closed session-ended");
        assertThat(auditEvents()).anyMatch(e -> e.startsWith("user-secret-replaced|cli|user:alice"));
    }

    @Test
    void disableRefusesLoginsAndEndsSessionsUntilEnabled() throws Exception {
        JsonNode s = login("alice", SECRET);
        assertThat(startChannel(s).statusCode()).isEqualTo(200);

        HttpResponse<String> disabled = operatorPost("/api/v1/users/alice/disable");
        assertThat(disabled.statusCode()).as(disabled.body()).isEqualTo(200);
        assertThat(TestHttps.json(disabled).path("disabled").asBoolean()).isTrue();
        assertThat(TestHttps.json(disabled).path("sessionsEnded").asInt()).isEqualTo(1);
        assertProblem(refresh(s), 401, "session-expired");
        assertThat(channelEvents(s)).contains("closed session-ended");

        // the right secret learns that the user is disabled; a wrong one learns nothing new
        assertProblem(https.login("alice", SECRET), 403, "account-disabled");
        assertProblem(https.login("alice", "not the secret"), 401, "bad-credentials");

        assertThat(operatorPost("/api/v1/users/alice/enable").statusCode()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(1)); // past the throttle delay of the failure above
        assertThat(https.login("alice", SECRET).statusCode()).isEqualTo(201);

        // the audit trail goes through the broker
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(auditEvents())
                .anyMatch(e -> e.startsWith("user-disabled|olga|user:alice|1 session(s) ended"))
                .anyMatch(e -> e.startsWith("user-enabled|olga|user:alice")));
    }

    @Test
    void revokeSessionsEndsEveryTokenOfTheUserAndTheUserMayLogInAgain() throws Exception {
        JsonNode a = login("alice", SECRET);
        JsonNode b = login("alice", SECRET);
        HttpResponse<String> r = operatorPost("/api/v1/users/alice/revoke-sessions");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(TestHttps.json(r).path("sessionsEnded").asInt()).isEqualTo(2);
        assertProblem(refresh(a), 401, "session-expired");
        assertProblem(refresh(b), 401, "session-expired");
        assertThat(https.login("alice", SECRET).statusCode()).isEqualTo(201);
        assertThat(refresh(TestHttps.json(https.login("olga", SECRET))).statusCode())
                .as("other users keep their sessions").isEqualTo(200);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(auditEvents())
                .anyMatch(e -> e.startsWith("user-sessions-revoked|olga|user:alice|2 session(s) ended")));
    }

    @Test
    void theUserEndpointsAreForOperatorsOnly() throws Exception {
        String user = login("alice", SECRET).path("token").asText();
        for (String action : List.of("disable", "enable", "revoke-sessions")) {
            assertProblem(https.send(https.request("/api/v1/users/olga/" + action)
                    .header("Authorization", "Bearer " + user).POST(HttpRequest.BodyPublishers.noBody())), 403,
                    "forbidden");
            assertProblem(https.send(https.request("/api/v1/users/olga/" + action)
                    .POST(HttpRequest.BodyPublishers.noBody())), 401, "missing-token");
            assertProblem(operatorPost("/api/v1/users/nobody/" + action), 404, "not-found");
        }
        assertThat(directory().find("olga").orElseThrow().disabled()).isFalse();
    }

    // --- item 11 ---

    @Test
    void aUsersLiveSessionsAreCapped() throws Exception {
        for (int i = 0; i < 4; i++) {
            login("alice", SECRET);
        }
        HttpResponse<String> refused = https.login("alice", SECRET);
        assertProblem(refused, 429, "too-many-sessions");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue(String.valueOf(30 * 60));
        clock.advance(Duration.ofMinutes(30));
        assertThat(https.login("alice", SECRET).statusCode()).isEqualTo(201);
    }

    @Test
    void aUsersOpenChannelsAreCapped() throws Exception {
        assertThat(startChannel(login("alice", SECRET)).statusCode()).isEqualTo(200);
        assertThat(startChannel(login("alice", SECRET)).statusCode()).isEqualTo(200);
        HttpResponse<String> third = startChannel(login("alice", SECRET));
        assertProblem(third, 429, "too-many-user-channels");
        assertThat(third.headers().firstValue("Retry-After")).isPresent();
        assertThat(startChannel(login("olga", SECRET)).statusCode()).as("another user's").isEqualTo(200);
    }

    /** Each failed handshake is a channel_events row: one session cannot start channels at request rate. */
    @Test
    void newChannelsPerSessionAreRateLimited() throws Exception {
        JsonNode s = login("alice", SECRET);
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> garbage = channelPost(s, BROKEN_CLIENT_HELLO);
            assertThat(garbage.statusCode()).as(garbage.body()).isEqualTo(200);
            assertThat(garbage.headers().firstValue(InnerChannel.STATE_HEADER)).hasValue("failed");
        }
        // junk that is not a ClientHello starts no channel: it neither counts nor is recorded
        assertThat(channelPost(s, GARBAGE).headers().firstValue(InnerChannel.STATE_HEADER)).hasValue("failed");
        HttpResponse<String> limited = channelPost(s, BROKEN_CLIENT_HELLO);
        assertProblem(limited, 429, "channel-rate-limited");
        assertThat(limited.headers().firstValue("Retry-After")).hasValue("60");
        assertThat(channelEvents(s)).hasSize(3);
        clock.advance(Duration.ofMinutes(1));
        assertThat(startChannel(s).statusCode()).isEqualTo(200);
    }

    @Test
    void housekeepingPurgesOldChannelEvents() throws Exception {
        JsonNode s = login("alice", SECRET);
        channelPost(s, GARBAGE);
        assertThat(channelEvents(s)).hasSize(1);
        clock.advance(Duration.ofDays(31));
        context.getRegistry().lookupByNameAndType("housekeeping", Housekeeping.class).run();
        assertThat(channelEvents(s)).isEmpty();
    }

    // --- item 13 ---

    @Test
    void idsThatDifferOnlyInCaseAreRefusedWithIdConflict() throws Exception {
        String newUser = "{\"userId\":\"ALICE\",\"password\":\"a long enough secret\",\"role\":\"user\"}";
        HttpResponse<String> user = https.send(https.request("/api/v1/users").header("Authorization", "Bearer " + operator)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(newUser)));
        assertProblem(user, 409, "id-conflict");
        assertThat(TestHttps.json(user).path("detail").asText()).contains("'alice'");

        assertThat(registerDevice("d1").statusCode()).isEqualTo(201);
        assertThat(registerDevice("d1").statusCode()).as("re-registering the same ID").isEqualTo(201);
        assertProblem(registerDevice("D1"), 409, "id-conflict");
        // '_' and '-' fold together too: d-2 and d_2 would share a PROGDIST_..._PASSWORD variable
        assertThat(registerDevice("d-2").statusCode()).isEqualTo(201);
        assertProblem(registerDevice("d_2"), 409, "id-conflict");
        assertProblem(registerDevice("D_2"), 409, "id-conflict");
    }

    // --- helpers ---

    private JsonNode login(String user, String secret) throws Exception {
        HttpResponse<String> r = https.login(user, secret);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return TestHttps.json(r);
    }

    private HttpResponse<String> operatorPost(String path) throws Exception {
        return https.send(https.request(path).header("Authorization", "Bearer " + operator)
                .POST(HttpRequest.BodyPublishers.noBody()));
    }

    private HttpResponse<String> registerDevice(String id) throws Exception {
        return https.send(https.request("/api/v1/devices").header("Authorization", "Bearer " + operator)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"deviceId\":\"" + id + "\",\"owner\":\"alice\"}")));
    }

    private HttpResponse<String> refresh(JsonNode session) throws Exception {
        return https.send(https.request("/api/v1/sessions/" + session.path("sessionId").asText() + "/refresh")
                .header("Authorization", "Bearer " + session.path("token").asText())
                .POST(HttpRequest.BodyPublishers.noBody()));
    }

    /** Sends a TLS 1.3 ClientHello on the session's channel: the server answers and holds a handshaking channel. */
    private HttpResponse<String> startChannel(JsonNode session) throws Exception {
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        tls.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        TlsEndpoint client = TlsEndpoint.client(tls);
        client.begin();
        HttpResponse<String> r = channelPost(session, client.drainOutbound());
        if (r.statusCode() == 200) {
            assertThat(r.headers().firstValue(InnerChannel.STATE_HEADER)).hasValue("handshaking");
        }
        return r;
    }

    private HttpResponse<String> channelPost(JsonNode session, byte[] records) throws Exception {
        return https.send(https.request("/api/v1/sessions/" + session.path("sessionId").asText() + "/channel")
                .header("Authorization", "Bearer " + session.path("token").asText())
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(records)));
    }

    private List<String> channelEvents(JsonNode session) {
        return context.getRegistry().lookupByNameAndType("channelLog", ChannelLog.class)
                .forSession(session.path("sessionId").asText()).stream()
                .map(e -> e.outcome() + " " + e.code()).toList();
    }

    private List<String> auditEvents() throws Exception {
        List<String> events = new ArrayList<>();
        try (Connection c = database().connection();
                ResultSet rs = c.createStatement().executeQuery(
                        "SELECT event, actor, subject, detail FROM audit_events ORDER BY id")) {
            while (rs.next()) {
                events.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4));
            }
        }
        return events;
    }
}
