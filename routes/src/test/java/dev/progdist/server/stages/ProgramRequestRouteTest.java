package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.delivery.DeliveryException;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.protocol.channel.ChannelCode;
import java.util.List;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * camel/delivery/1-program-request.camel.yaml, with every later stage replaced by a mock: the
 * ledger row opens first, the device is checked again, and only then does the pipeline go on, in
 * the order of the route files.
 */
class ProgramRequestRouteTest extends StageRouteTestSupport {

    static final List<String> STAGES = List.of("entitlement", "version-resolution", "publisher-signature",
            "key-wrapping", "program-encryption", "transmit");

    TestDevice device;

    @Override
    List<String> routeFiles() {
        return List.of("camel/delivery/1-program-request.camel.yaml");
    }

    @BeforeEach
    void adviseAndStart() throws Exception {
        // every stage endpoint the route sends to, not direct:program-request itself (the test sends there)
        AdviceWith.adviceWith(context, "program-request", a -> a.mockEndpointsAndSkip(
                STAGES.stream().map(stage -> "direct:" + stage).toArray(String[]::new)));
        start();
        device = registered("trp-ec-1", ecKeys());
    }

    @Test
    void opensTheLedgerRowChecksTheDeviceAndHandsTheDeliveryToTheStagesInOrder() throws Exception {
        MockEndpoint entitlement = getMockEndpoint("mock:direct:entitlement");
        entitlement.expectedMessageCount(1);
        for (String stage : STAGES) {
            getMockEndpoint("mock:direct:" + stage).expectedMessageCount(1);
        }

        DeliveryContext out = pass("program-request", requested(device, "hello", "2.0", "direct"));

        MockEndpoint.assertIsSatisfied(context);
        DeliveryContext handedOn = entitlement.getExchanges().get(0).getIn().getBody(DeliveryContext.class);
        assertThat(handedOn.stage()).isEqualTo(Stage.DEVICE_CHECKED);
        assertThat(handedOn.deliveryId()).isNotNull().isEqualTo(out.deliveryId());
        DeliveryLedger.Delivery row = ledger.find(handedOn.deliveryId()).orElseThrow();
        assertThat(row.outcome()).isEqualTo("requested");
        assertThat(row.deviceId()).isEqualTo("trp-ec-1");
        assertThat(row.userId()).isEqualTo(USER);
        assertThat(row.sessionId()).isEqualTo(SESSION);
        assertThat(row.programId()).isEqualTo("hello");
        assertThat(row.requestedVersion()).isEqualTo("2.0");
        assertThat(row.mode()).isEqualTo("direct");
        for (String stage : STAGES) {
            // skipped stages hand the body on unchanged: each received the checked delivery
            assertThat(getMockEndpoint("mock:direct:" + stage).getExchanges().get(0).getIn()
                    .getBody(DeliveryContext.class).stage()).as(stage).isEqualTo(Stage.DEVICE_CHECKED);
        }
    }

    @Test
    void aDisabledDeviceIsRefusedAfterTheLedgerRowOpenedAndNoStageRuns() throws Exception {
        devices.setStatus("trp-ec-1", false);
        for (String stage : STAGES) {
            getMockEndpoint("mock:direct:" + stage).expectedMessageCount(0);
        }

        DeliveryException refusal = refusal("program-request", requested(device, "hello", "", ""));

        assertThat(refusal.code()).isEqualTo(ChannelCode.DEVICE_DISABLED);
        MockEndpoint.assertIsSatisfied(context);
        // the row exists, so the inner channel's doCatch can record the refusal in it
        assertThat(ledger.list("trp-ec-1", "hello", USER, 10)).singleElement()
                .extracting(DeliveryLedger.Delivery::outcome).isEqualTo("requested");
    }

    @Test
    void aRevokedCertificateIsRefusedCertRevoked() throws Exception {
        pki.revokeDevice("trp-ec-1", "keyCompromise");
        for (String stage : STAGES) {
            getMockEndpoint("mock:direct:" + stage).expectedMessageCount(0);
        }

        assertThat(refusal("program-request", requested(device, "hello", "", "")).code())
                .isEqualTo(ChannelCode.CERT_REVOKED);
        MockEndpoint.assertIsSatisfied(context);
    }
}
