package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.delivery.DeliveryException;
import dev.progdist.protocol.channel.ChannelCode;
import java.util.List;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** camel/delivery/2-entitlement.camel.yaml: the session's user must hold a grant for the program. */
class EntitlementRouteTest extends StageRouteTestSupport {

    TestDevice device;
    MockEndpoint entitled;

    @Override
    List<String> routeFiles() {
        return List.of("camel/delivery/2-entitlement.camel.yaml");
    }

    @BeforeEach
    void adviseAndStart() throws Exception {
        // what follows the bean in the route sees only the deliveries it let through
        AdviceWith.adviceWith(context, "entitlement", a -> a.weaveAddLast().to("mock:entitled"));
        start();
        entitled = getMockEndpoint("mock:entitled");
        device = registered("trp-ec-1", ecKeys());
    }

    @Test
    void aGrantedUserIsEntitled() throws Exception {
        entitlements.grant("hello", USER, "olga");
        entitled.expectedMessageCount(1);

        DeliveryContext next = pass("entitlement", deviceChecked(device.session(), "hello", "", ""));

        assertThat(next.stage()).isEqualTo(Stage.ENTITLED);
        assertThat(next.outgoing()).isEmpty();
        entitled.assertIsSatisfied();
        assertThat(entitled.getExchanges().get(0).getIn().getBody(DeliveryContext.class).stage())
                .isEqualTo(Stage.ENTITLED);
    }

    @Test
    void aUserWithoutAGrantIsRefusedNotEntitledAndNothingAfterTheBeanRuns() throws Exception {
        entitlements.grant("other-program", USER, "olga");
        entitled.expectedMessageCount(0);

        DeliveryException refusal = refusal("entitlement", deviceChecked(device.session(), "hello", "", ""));

        assertThat(refusal.code()).isEqualTo(ChannelCode.NOT_ENTITLED);
        entitled.assertIsSatisfied();
    }

    @Test
    void aDeliveryThatSkippedTheDeviceCheckIsAProtocolViolation() throws Exception {
        entitlements.grant("hello", USER, "olga");
        entitled.expectedMessageCount(0);

        DeliveryContext notChecked = requested(device, "hello", "", "");

        assertThat(refusal("entitlement", notChecked).code()).isEqualTo(ChannelCode.PROTOCOL_VIOLATION);
        entitled.assertIsSatisfied();
    }
}
