package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.progdist.gateway.GatewayExit;
import dev.progdist.protocol.bus.EmbeddedBroker;
import dev.progdist.server.CapturedLogs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, item 7: when the gateway's device-bus broker stops under it (here stopped directly, as
 * management's forceFailover or a critical journal error would; no TRP here, whose reconnecting
 * would only slow the fleet's stop), the gateway logs an ERROR and
 * asks to exit with {@link GatewayExit#BUS_STOPPED}, instead of running on with no bus. A normal
 * gateway stop does not.
 */
class DeviceBusStopTest {

    private static final char[] SECRET = "it-secret-0123456789".toCharArray();

    @TempDir
    Path dir;

    @Test
    void theGatewayReportsItsBrokerStoppingAndExits() throws Exception {
        try (CapturedLogs logs = new CapturedLogs();
                Fleet fleet = Fleet.start(dir, "fred", SECRET, Map.of())) {
            EmbeddedBroker broker = fleet.gatewayBean("deviceBusBroker", EmbeddedBroker.class);
            assertThat(broker.isActive()).isTrue();
            assertThat(fleet.gatewayExits).isEmpty();

            broker.server().stop();

            await().atMost(Duration.ofSeconds(30)).until(() -> !fleet.gatewayExits.isEmpty());
            assertThat(fleet.gatewayExits).containsExactly(GatewayExit.BUS_STOPPED);
            assertThat(logs.all()).contains("The device bus stopped: broker 'progdist-device-bus'")
                    .contains("while in use");
        }
    }

    @Test
    void aNormalStopIsNoFailure() throws Exception {
        Fleet fleet = Fleet.start(dir, "fred", SECRET, Map.of());
        fleet.close();
        assertThat(fleet.gatewayExits).isEmpty();
    }
}
