package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.channel.ChannelLog;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.server.ServerRouteTestCase;
import dev.progdist.server.TestHttps;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;

/**
 * A route test of the second path's stages on the real server ({@link ServerRouteTestCase}: Jetty
 * HTTPS, the database, the development PKI), with the first path's REST routes to log in and the
 * three second-path route files; the test plays the TRP ({@link HttpsTrp}). Users {@code alice}
 * and {@code bob}; devices are certified by the PKI's manufacturer CA and registered as a test says.
 */
abstract class SecondPathRouteTestSupport extends ServerRouteTestCase {

    static final String SECRET = "correct horse battery staple";

    DevelopmentPki pki;
    DeviceRegistry devices;

    @Override
    protected List<String> routeFiles() {
        return List.of("error-handling", "rest-api", "user-authentication", "1-inner-channel",
                "2-certificate-validation", "3-processor-authentication", "not-found");
    }

    @BeforeEach
    void usersDevicesAndClock() {
        // the development PKI's CAs were made when the class started: the server's test clock
        // (which starts at a fixed instant) must not be before them
        MutableClock clock = bean("clock", MutableClock.class);
        clock.advance(Duration.between(clock.instant(), Instant.now()));
        UserDirectory users = new UserDirectory(bean("database", Database.class), new PasswordHasher(1024, 1, 1),
                bean("clock", Clock.class));
        users.addUser("alice", SECRET.toCharArray(), Role.USER, false);
        users.addUser("bob", SECRET.toCharArray(), Role.USER, false);
        pki = DevelopmentPki.open(home());
        devices = bean("deviceRegistry", DeviceRegistry.class);
    }

    <T> T bean(String name, Class<T> type) {
        return context.getRegistry().lookupByNameAndType(name, type);
    }

    /** A first-path session of {@code user}: its {@code sessionId} and {@code token}. */
    JsonNode login(String user) throws Exception {
        HttpResponse<String> r = https().login(user, SECRET);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return TestHttps.json(r);
    }

    /** A TRP certified by the server's manufacturer CA (not registered). */
    StageRouteTestSupport.TestDevice manufacture(String deviceId) {
        var keys = StageRouteTestSupport.ecKeys();
        return new StageRouteTestSupport.TestDevice(deviceId, keys,
                pki.certifyDevice(deviceId, StageRouteTestSupport.csr(keys)), pki.manufacturerCaCertificate());
    }

    /** A TRP certified by the manufacturer CA and registered to {@code owner}, active. */
    StageRouteTestSupport.TestDevice registered(String deviceId, String owner) {
        StageRouteTestSupport.TestDevice device = manufacture(deviceId);
        devices.register(deviceId, owner, "olga");
        return device;
    }

    /** {@code device}'s TRP on {@code session}'s channel, trusting the distribution CA's server certificate. */
    HttpsTrp trp(JsonNode session, StageRouteTestSupport.TestDevice device) throws Exception {
        return new HttpsTrp(https(), session, device, pki.distributionCaCertificate());
    }

    /** The session's channel_events rows as {@code "<outcome> <code> <device>"}, oldest first. */
    List<String> channelEvents(JsonNode session) {
        return bean("channelLog", ChannelLog.class).forSession(session.path("sessionId").asText()).stream()
                .map(e -> e.outcome() + " " + e.code() + " " + e.deviceId()).toList();
    }
}
