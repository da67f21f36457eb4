package dev.progdist.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.wire.TrpStatus;
import dev.progdist.trp.TrpFault;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real fleet of five TRPs on its one embedded device bus (with the bus's security: a bus user
 * per TRP), their stores manufactured by {@link FleetProvisioning}: every TRP answers status
 * through the gateway side of the shared bus, and the fleet stops cleanly. No server runs (the
 * URL is a closed port): the devices keep trying to log in, as an offline gateway does.
 */
class FleetRunnerTest {

    @TempDir
    static Path dir;
    static Home home;
    static final List<String> registered = new ArrayList<>();

    @BeforeAll
    static void provision() {
        home = Home.at(dir);
        DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        List<Integer> progress = new ArrayList<>();
        FleetProvisioning.Result r = FleetProvisioning.provision(home, "F", 5, FleetProvisioning.KeyChoice.MIXED, "frank",
                (device, owner, cert) -> registered.add(device + " " + owner + " "
                        + cert.getSubjectX500Principal().getName()), progress::add);
        assertThat(r.manufactured()).isEqualTo(5);
        assertThat(progress).containsExactly(1, 2, 3, 4, 5);
        assertThat(registered).hasSize(5).first().asString().startsWith("F-0001 frank ").contains("CN=F-0001");
    }

    @Test
    void aSecondProvisionKeepsTheTrpsAndRegistersThemAgain() {
        List<String> again = new ArrayList<>();
        FleetProvisioning.Result r = FleetProvisioning.provision(home, "F", 5, FleetProvisioning.KeyChoice.EC, "frank",
                (device, owner, cert) -> again.add(device), n -> { });
        assertThat(r.manufactured()).isZero();
        assertThat(r.alreadyManufactured()).isEqualTo(5);
        assertThat(again).containsExactly("F-0001", "F-0002", "F-0003", "F-0004", "F-0005");
    }

    @Test
    void everyTrpAnswersStatusOverTheSharedBusAndTheFleetStopsCleanly() throws Exception {
        FleetRunner.Options options = FleetRunner.Options.of(dir, "F", 5, "frank", "secret".toCharArray())
                .withServers(List.of(URI.create("https://localhost:" + closedPort())))
                .withCheckInPeriod(Duration.ofMillis(200))
                .withFaults(FaultPlan.parse("vanish=1,slow=1"), Duration.ofMillis(10))
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(2));
        FleetRunner fleet = FleetRunner.start(options);
        try {
            assertThat(fleet.devices()).containsExactly("F-0001", "F-0002", "F-0003", "F-0004", "F-0005");
            assertThat(fleet.faults()).containsEntry("F-0001", TrpFault.VANISH).containsEntry("F-0002", TrpFault.SLOW)
                    .hasSize(2);
            for (String device : fleet.devices()) {
                TrpStatus s = fleet.bus().status(device);
                assertThat(s.deviceId()).isEqualTo(device);
                assertThat(s.installed()).isEmpty();
            }
            assertThat(fleet.bus().status("F-0002").keyType()).isEqualTo("rsa");
            FleetStatus st = fleet.status();
            assertThat(st.devices()).isEqualTo(5);
            assertThat(st.loggedIn()).isZero();
            assertThat(st.line()).startsWith("5 devices: 0 logged in");
            assertThatThrownBy(() -> fleet.bus().status("G-0001")).hasMessageContaining("not in this fleet");
            assertThat(fleet.failovers()).as("one server: nowhere to fail over to").isZero();
        } finally {
            fleet.close();
        }
        fleet.close(); // idempotent
        // everything is released: the same fleet starts again on the same home
        FleetRunner again = FleetRunner.start(options);
        try {
            assertThat(again.bus().status("F-0005").deviceId()).isEqualTo("F-0005");
        } finally {
            again.close();
        }
    }

    @Test
    void aDeviceWhoseServerCannotBeReachedMovesToTheNextServer() throws Exception {
        // neither server answers: each device keeps moving to its other server, and keeps trying
        FleetRunner fleet = FleetRunner.start(FleetRunner.Options.of(dir, "F", 5, "frank", "secret".toCharArray())
                .withServers(List.of(URI.create("https://localhost:" + closedPort()),
                        URI.create("https://localhost:" + closedPort())))
                .withCheckInPeriod(Duration.ofMillis(200))
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(2)));
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> fleet.failovers() >= 2L * fleet.devices().size());
            assertThat(fleet.failure()).isNull();
            assertThat(fleet.status().loggedIn()).isZero();
        } finally {
            fleet.close();
        }
    }

    @Test
    void aFleetOfUnprovisionedDevicesIsRefusedWithTheCommandToRun() {
        assertThatThrownBy(() -> FleetRunner.start(FleetRunner.Options.of(dir, "F", 6, "frank", "s".toCharArray())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("F-0006")
                .hasMessageContaining("fleet provision --prefix F --devices 6 --owner frank");
    }

    static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
