package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.channel.ChannelLog;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.channel.InnerChannel;
import dev.progdist.processors.channel.ServerChannel;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.server.ServerRouteTestCase;
import dev.progdist.server.TestHttps;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * camel/second-path/3-processor-authentication.camel.yaml, reached the way a TRP reaches it: the
 * real inner channel (1-inner-channel) over real Jetty HTTPS, its handshake judged by the real
 * certificate validation (2-certificate-validation), the test playing the TRP ({@link HttpsTrp})
 * with a device certificate of the development PKI's manufacturer CA. The stage binds the device
 * to the first-path session's user: registered, active and owned, or the channel is refused with
 * its code before the TRP's Hello is acted on.
 */
class ProcessorAuthenticationRouteTest extends ServerRouteTestCase {

    private static final String SECRET = "correct horse battery staple";

    DevelopmentPki pki;
    DeviceRegistry devices;
    MockEndpoint authenticated;

    @Override
    protected List<String> routeFiles() {
        return List.of("error-handling", "rest-api", "user-authentication", "1-inner-channel",
                "2-certificate-validation", "3-processor-authentication", "not-found");
    }

    @BeforeEach
    void usersAndAdvice() throws Exception {
        // the development PKI's CAs were made just now: the server's test clock (which starts at
        // a fixed instant) must not be before them
        MutableClock clock = bean("clock", MutableClock.class);
        clock.advance(Duration.between(clock.instant(), Instant.now()));
        UserDirectory users = new UserDirectory(bean("database", Database.class), new PasswordHasher(1024, 1, 1),
                bean("clock", Clock.class));
        users.addUser("alice", SECRET.toCharArray(), Role.USER, false);
        users.addUser("bob", SECRET.toCharArray(), Role.USER, false);
        pki = DevelopmentPki.open(home());
        devices = bean("deviceRegistry", DeviceRegistry.class);
        AdviceWith.adviceWith(context, "processor-authentication", a -> a.weaveAddLast().to("mock:authenticated"));
        authenticated = getMockEndpoint("mock:authenticated");
    }

    @Test
    void aRegisteredActiveDeviceOfTheSessionsUserIsAccepted() throws Exception {
        JsonNode alice = login("alice");
        StageRouteTestSupport.TestDevice device = manufacture("trp-pa-1");
        devices.register("trp-pa-1", "alice", "olga");
        authenticated.expectedMessageCount(1);
        NotifyBuilder done = channelRequestDone();

        HttpsTrp.Reply reply = trp(alice, device).open(new ChannelMessage.Hello("trp-pa-1", List.of()));

        authenticated.assertIsSatisfied();
        assertThat(done.matches(10, TimeUnit.SECONDS)).as("the channel request is done").isTrue();
        assertThat(channelOf(authenticated).authentication()).isEqualTo(ServerChannel.Authentication.ACCEPTED);
        assertThat(reply.state()).isEqualTo("open");
        assertThat(reply.code()).isNull();
        assertThat(reply.messages()).containsExactly(new ChannelMessage.HelloAck(
                alice.path("sessionId").asText(), "trp-pa-1", "alice"));
        assertThat(channelEvents(alice)).containsExactly("authenticated null trp-pa-1");
        assertThat(devices.find("trp-pa-1").orElseThrow().lastFingerprint()).isNotNull();
    }

    @Test
    void anUnregisteredDeviceIsRefusedDeviceUnknown() throws Exception {
        assertRefused(manufacture("trp-pa-2"), "device-unknown");
    }

    @Test
    void aDisabledDeviceIsRefusedDeviceDisabled() throws Exception {
        StageRouteTestSupport.TestDevice device = manufacture("trp-pa-3");
        devices.register("trp-pa-3", "alice", "olga");
        assertThat(devices.setStatus("trp-pa-3", false)).isTrue();

        assertRefused(device, "device-disabled");
    }

    @Test
    void aDeviceOfAnotherUserIsRefusedDeviceNotOwned() throws Exception {
        StageRouteTestSupport.TestDevice device = manufacture("trp-pa-4");
        devices.register("trp-pa-4", "bob", "olga");

        assertRefused(device, "device-not-owned");
    }

    /**
     * Alice's TRP with {@code device} completes the handshake (its certificate is valid) and is
     * refused by this stage: the TRP gets an Error with the code instead of a HelloAck, the channel
     * ends with the code in Progdist-Channel-Code, and channel_events says so.
     */
    private void assertRefused(StageRouteTestSupport.TestDevice device, String code) throws Exception {
        JsonNode alice = login("alice");
        authenticated.expectedMessageCount(1);
        NotifyBuilder done = channelRequestDone();

        HttpsTrp trp = trp(alice, device);
        HttpsTrp.Reply reply = trp.open(new ChannelMessage.Hello(device.deviceId(), List.of()));

        authenticated.assertIsSatisfied();
        assertThat(done.matches(10, TimeUnit.SECONDS)).as("the channel request is done").isTrue();
        ServerChannel channel = channelOf(authenticated);
        assertThat(channel.authentication()).isEqualTo(ServerChannel.Authentication.REFUSED);
        assertThat(channel.refusalCode()).isEqualTo(code);
        assertThat(reply.state()).isEqualTo("closed");
        assertThat(reply.code()).isEqualTo(code);
        assertThat(trp.received).hasSize(1).first().isInstanceOfSatisfying(ChannelMessage.ErrorMessage.class,
                e -> assertThat(e.code()).isEqualTo(code));
        assertThat(trp.received).noneMatch(m -> m instanceof ChannelMessage.HelloAck);
        assertThat(channelEvents(alice)).containsExactly("refused " + code + " " + device.deviceId());
    }

    // --- helpers ---

    /**
     * Done once the channel request that went through this stage has completed. Not
     * {@code fromRoute("processor-authentication")}: a direct route runs on its caller's exchange,
     * whose route is the REST route, so that would never match.
     */
    private NotifyBuilder channelRequestDone() {
        return new NotifyBuilder(context).wereSentTo("mock:authenticated").whenDone(1).create();
    }

    private <T> T bean(String name, Class<T> type) {
        return context.getRegistry().lookupByNameAndType(name, type);
    }

    private JsonNode login(String user) throws Exception {
        HttpResponse<String> r = https().login(user, SECRET);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return TestHttps.json(r);
    }

    /** A TRP certified by the server's manufacturer CA (not registered). */
    private StageRouteTestSupport.TestDevice manufacture(String deviceId) {
        var keys = StageRouteTestSupport.ecKeys();
        return new StageRouteTestSupport.TestDevice(deviceId, keys,
                pki.certifyDevice(deviceId, StageRouteTestSupport.csr(keys)), pki.manufacturerCaCertificate());
    }

    private HttpsTrp trp(JsonNode session, StageRouteTestSupport.TestDevice device) throws Exception {
        return new HttpsTrp(https(), session, device, pki.distributionCaCertificate());
    }

    private static ServerChannel channelOf(MockEndpoint mock) {
        return mock.getReceivedExchanges().get(0).getProperty(InnerChannel.CHANNEL, ServerChannel.class);
    }

    private List<String> channelEvents(JsonNode session) {
        return bean("channelLog", ChannelLog.class).forSession(session.path("sessionId").asText()).stream()
                .map(e -> e.outcome() + " " + e.code() + " " + e.deviceId()).toList();
    }
}
