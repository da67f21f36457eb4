package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.protocol.channel.ChannelMessage;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * camel/second-path/1-inner-channel.camel.yaml over real Jetty HTTPS, the test playing the TRP
 * ({@link HttpsTrp}) with a registered device: the channel's rules before a delivery stage is
 * reached. The delivery stages are replaced by mock endpoints (AdviceWith on {@code inner-channel}),
 * so a test sees which stage a TRP message would start, with what context.
 */
class InnerChannelRouteTest extends SecondPathRouteTestSupport {

    /** An application_data record of no channel: what a late retry or a confused relay might send. */
    private static final byte[] STRAY_RECORD = {23, 3, 3, 0, 5, 1, 2, 3, 4, 5};

    MockEndpoint programRequest;
    MockEndpoint transmitNext;
    MockEndpoint receiptVerification;
    StageRouteTestSupport.TestDevice device;
    JsonNode alice;

    @BeforeEach
    void adviceAndDevice() throws Exception {
        AdviceWith.adviceWith(context, "inner-channel", a -> {
            a.weaveByToUri("direct:program-request").replace().to("mock:program-request");
            a.weaveByToUri("direct:transmit-next").replace().to("mock:transmit-next");
            a.weaveByToUri("direct:receipt-verification").replace().to("mock:receipt-verification");
        });
        programRequest = getMockEndpoint("mock:program-request");
        transmitNext = getMockEndpoint("mock:transmit-next");
        receiptVerification = getMockEndpoint("mock:receipt-verification");
        device = registered("trp-ic-1", "alice");
        alice = login("alice");
    }

    /** The control for the refusals below: after Hello, a Fetch starts program request with its context. */
    @Test
    void aFetchAfterHelloStartsProgramRequestWithTheDeliveryContext() throws Exception {
        HttpsTrp trp = trp(alice, device);
        assertThat(trp.open(hello()).messages()).hasOnlyElementsOfType(ChannelMessage.HelloAck.class).hasSize(1);
        programRequest.expectedMessageCount(1);

        HttpsTrp.Reply reply = trp.send(new ChannelMessage.Fetch("demo-app", "1.0.0", ""));

        programRequest.assertIsSatisfied();
        DeliveryContext delivery = programRequest.getReceivedExchanges().get(0).getMessage()
                .getBody(DeliveryContext.class);
        assertThat(delivery.stage()).isEqualTo(DeliveryContext.Stage.REQUESTED);
        assertThat(delivery.request().programId()).isEqualTo("demo-app");
        assertThat(delivery.request().version()).isEqualTo("1.0.0");
        assertThat(delivery.device().deviceId()).isEqualTo("trp-ic-1");
        assertThat(delivery.device().userId()).isEqualTo("alice");
        assertThat(delivery.device().sessionId()).isEqualTo(alice.path("sessionId").asText());
        assertThat(reply.state()).isEqualTo("open");
        assertThat(reply.code()).isNull();
    }

    @Test
    void aFetchBeforeHelloIsAProtocolViolation() throws Exception {
        programRequest.expectedMessageCount(0);

        HttpsTrp trp = trp(alice, device);
        HttpsTrp.Reply reply = trp.open(new ChannelMessage.Fetch("demo-app", "", ""));

        assertProtocolViolation(trp, reply);
        programRequest.assertIsSatisfied();
    }

    @Test
    void twoDeliveryMessagesInOneRelayRoundAreAProtocolViolation() throws Exception {
        HttpsTrp trp = trp(alice, device);
        trp.open(hello());
        programRequest.expectedMessageCount(0);
        NotifyBuilder round = new NotifyBuilder(context).fromRoute("inner-channel").whenDone(1).create();

        HttpsTrp.Reply reply = trp.send(new ChannelMessage.Fetch("demo-app", "", ""),
                new ChannelMessage.Fetch("other-app", "", ""));

        assertThat(round.matches(10, TimeUnit.SECONDS)).isTrue();
        assertProtocolViolation(trp, reply);
        programRequest.assertIsSatisfied();
        transmitNext.assertIsSatisfied();
        receiptVerification.assertIsSatisfied();
    }

    /**
     * After a channel ended, a record that is not a ClientHello reaches the ended channel, which
     * answers its end again: no new channel fails on it (no new channel_events row). A ClientHello
     * then starts a new channel on the same session.
     */
    @Test
    void aStrayRecordAfterTheEndDoesNotStartANewChannel() throws Exception {
        HttpsTrp ended = trp(alice, device);
        assertProtocolViolation(ended, ended.open(new ChannelMessage.Fetch("demo-app", "", "")));
        List<String> events = channelEvents(alice);
        NotifyBuilder stray = new NotifyBuilder(context).fromRoute("inner-channel").whenDone(1).create();

        HttpsTrp.Reply reply = ended.postUnread(STRAY_RECORD);

        assertThat(stray.matches(10, TimeUnit.SECONDS)).isTrue();
        assertThat(reply.state()).isEqualTo("closed");
        assertThat(reply.code()).isEqualTo("protocol-violation");
        assertThat(channelEvents(alice)).isEqualTo(events);

        HttpsTrp next = trp(alice, device);
        HttpsTrp.Reply opened = next.open(hello());
        assertThat(opened.state()).isEqualTo("open");
        assertThat(next.received).hasOnlyElementsOfType(ChannelMessage.HelloAck.class).hasSize(1);
        assertThat(channelEvents(alice)).hasSize(events.size() + 1).last().isEqualTo("authenticated null trp-ic-1");
    }

    private ChannelMessage.Hello hello() {
        return new ChannelMessage.Hello(device.deviceId(), List.of());
    }

    /** The server ended the accepted channel: an Error to the TRP, the code in the header and in channel_events. */
    private void assertProtocolViolation(HttpsTrp trp, HttpsTrp.Reply reply) {
        assertThat(reply.state()).isEqualTo("closed");
        assertThat(reply.code()).isEqualTo("protocol-violation");
        assertThat(trp.received).last().isInstanceOfSatisfying(ChannelMessage.ErrorMessage.class,
                e -> assertThat(e.code()).isEqualTo("protocol-violation"));
        assertThat(channelEvents(alice)).endsWith("failed protocol-violation trp-ic-1");
    }
}
