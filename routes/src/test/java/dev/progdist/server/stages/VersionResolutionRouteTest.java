package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.delivery.DeviceSession;
import dev.progdist.processors.delivery.RolloutLink;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.wire.TrpStatus;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * camel/delivery/3-version-resolution.camel.yaml: the version asked for, or the latest in version
 * order; never one not newer than what the TRP holds, except the exact version it holds for a
 * delivery linked to a rollout assignment (an identical re-installation, for a receipt lost in a
 * crash).
 */
class VersionResolutionRouteTest extends StageRouteTestSupport {

    TestDevice device;

    @Override
    List<String> routeFiles() {
        return List.of("camel/delivery/3-version-resolution.camel.yaml");
    }

    @BeforeEach
    void catalog() {
        start();
        device = registered("trp-ec-1", ecKeys());
        // published out of order; 1.10 is the latest in version order, though not in text order
        publish("hello", "1.9", content(100, 1), null);
        publish("hello", "1.10", content(100, 2), null);
        publish("hello", "1.2", content(100, 3), null);
    }

    @Test
    void withoutAVersionTheLatestInVersionOrderIsResolved() {
        DeliveryContext next = pass("version-resolution", entitled(device.session(), "hello", ""));

        assertThat(next.stage()).isEqualTo(Stage.RESOLVED);
        assertThat(next.program().programId()).isEqualTo("hello");
        assertThat(next.program().version()).isEqualTo("1.10");
        assertThat(next.program().sha256()).isEqualTo(catalog.find("hello", "1.10").orElseThrow().sha256());
    }

    @Test
    void anExplicitVersionIsResolvedAsAsked() {
        DeliveryContext next = pass("version-resolution", entitled(device.session(), "hello", "1.9"));

        assertThat(next.program().version()).isEqualTo("1.9");
    }

    @Test
    void anUnknownProgramOrVersionIsRefused() {
        assertThat(refusal("version-resolution", entitled(device.session(), "nope", "")).code())
                .isEqualTo(ChannelCode.UNKNOWN_PROGRAM);
        assertThat(refusal("version-resolution", entitled(device.session(), "hello", "3.0")).code())
                .isEqualTo(ChannelCode.UNKNOWN_PROGRAM);
    }

    @Test
    void aVersionNotNewerThanTheInstalledOneIsARollback() {
        DeviceSession holds110 = device.session(new TrpStatus.InstalledProgram("hello", "1.10"));

        assertThat(refusal("version-resolution", entitled(holds110, "hello", "")).code())
                .as("the latest is what it holds").isEqualTo(ChannelCode.ROLLBACK_REFUSED);
        assertThat(refusal("version-resolution", entitled(holds110, "hello", "1.9")).code())
                .as("an older one").isEqualTo(ChannelCode.ROLLBACK_REFUSED);
    }

    @Test
    void aRolloutDeliveryOfExactlyTheHeldVersionIsServedAgainButAnOrdinaryOneIsARollback() {
        DeviceSession holds110 = device.session(new TrpStatus.InstalledProgram("hello", "1.10"));

        DeliveryContext linked = pass("version-resolution", linked(entitled(holds110, "hello", "1.10")));
        assertThat(linked.stage()).isEqualTo(Stage.RESOLVED);
        assertThat(linked.program().version()).isEqualTo("1.10");
        assertThat(linked.assignment().rolloutId()).isEqualTo("r-1");

        assertThat(refusal("version-resolution", entitled(holds110, "hello", "1.10")).code())
                .as("the same version, not for a rollout").isEqualTo(ChannelCode.ROLLBACK_REFUSED);
    }

    @Test
    void aRolloutDeliveryOfAnOlderVersionOrOfAnEquallyOrderedOtherTextIsStillARollback() {
        DeviceSession holds110 = device.session(new TrpStatus.InstalledProgram("hello", "1.10"));
        assertThat(refusal("version-resolution", linked(entitled(holds110, "hello", "1.9"))).code())
                .as("a rollout never downgrades").isEqualTo(ChannelCode.ROLLBACK_REFUSED);

        // 01.10 is 1.10 in version order, but not the version the TRP holds: no re-installation
        DeviceSession holds0110 = device.session(new TrpStatus.InstalledProgram("hello", "01.10"));
        assertThat(refusal("version-resolution", linked(entitled(holds0110, "hello", "1.10"))).code())
                .isEqualTo(ChannelCode.ROLLBACK_REFUSED);
    }

    @Test
    void aNewerVersionThanTheInstalledOneIsResolved() {
        DeviceSession holds19 = device.session(new TrpStatus.InstalledProgram("hello", "1.9"),
                new TrpStatus.InstalledProgram("other", "9.9"));

        assertThat(pass("version-resolution", entitled(holds19, "hello", "")).program().version()).isEqualTo("1.10");
    }

    @Test
    void aDeliveryNotYetEntitledIsRefused() {
        DeliveryContext checked = deviceChecked(device.session(), "hello", "", "");

        assertThat(refusal("version-resolution", checked).code()).isEqualTo(ChannelCode.PROTOCOL_VIOLATION);
    }

    /** As program request leaves a delivery it linked to a rollout assignment. */
    static DeliveryContext linked(DeliveryContext delivery) {
        return delivery.linked(new RolloutLink.Assignment("r-1", 1, "direct", "rollout"));
    }

    DeliveryContext entitled(DeviceSession session, String programId, String version) {
        return deviceChecked(session, programId, version, "").at(Stage.ENTITLED);
    }
}
