package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.processors.channel.InnerChannel;
import dev.progdist.processors.channel.ServerChannel;
import dev.progdist.protocol.channel.ChannelMessage;
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
class ProcessorAuthenticationRouteTest extends SecondPathRouteTestSupport {

    MockEndpoint authenticated;

    @BeforeEach
    void advice() throws Exception {
        AdviceWith.adviceWith(context, "processor-authentication", a -> a.weaveAddLast().to("mock:authenticated"));
        authenticated = getMockEndpoint("mock:authenticated");
    }

    @Test
    void aRegisteredActiveDeviceOfTheSessionsUserIsAccepted() throws Exception {
        JsonNode alice = login("alice");
        StageRouteTestSupport.TestDevice device = registered("trp-pa-1", "alice");
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
        // the accepted certificate is stored, for rollouts to exclude revoked and expired devices
        assertThat(devices.certificatePem("trp-pa-1"))
                .hasValue(dev.progdist.protocol.keys.Pem.toPem(device.certificate()));
        assertThat(devices.find("trp-pa-1").orElseThrow().certificateNotAfter())
                .isEqualTo(device.certificate().getNotAfter().toInstant());
    }

    @Test
    void anUnregisteredDeviceIsRefusedDeviceUnknown() throws Exception {
        assertRefused(manufacture("trp-pa-2"), "device-unknown");
    }

    @Test
    void aDisabledDeviceIsRefusedDeviceDisabled() throws Exception {
        StageRouteTestSupport.TestDevice device = registered("trp-pa-3", "alice");
        assertThat(devices.setStatus("trp-pa-3", false)).isTrue();

        assertRefused(device, "device-disabled");
    }

    @Test
    void aDeviceOfAnotherUserIsRefusedDeviceNotOwned() throws Exception {
        StageRouteTestSupport.TestDevice device = registered("trp-pa-4", "bob");

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

    private static ServerChannel channelOf(MockEndpoint mock) {
        return mock.getReceivedExchanges().get(0).getProperty(InnerChannel.CHANNEL, ServerChannel.class);
    }
}
