package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.fleet.FaultPlan;
import dev.progdist.fleet.FleetProvisioning;
import dev.progdist.fleet.FleetRunner;
import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.gateway.SessionKeeper;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.protocol.wire.TrpStatus;
import dev.progdist.trp.InstalledPrograms;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet simulator's device side on the real server: six provisioned TRPs on the fleet's one
 * shared device bus, each delivery relayed by the gateway's own {@link ChannelRelay} over the
 * fleet's bus, one device per fault. An honest device installs the published bytes with a
 * verified receipt; refuse-install, storage-full and bad-receipt end with the codes the server
 * records (bad-receipt is the server's {@code receipt-invalid}, a security failure); slow
 * completes; vanish leaves the relay without an answer and the server's ledger row failed once its
 * channel timed out. (The check-in that starts these deliveries in a rollout is the server's; here
 * the test asks for each fetch.)
 */
class FleetSimulatorIntegrationTest {

    static final char[] SECRET = "fleet-sim-secret".toCharArray();

    @TempDir
    static Path dir;
    static Fleet system;
    static FleetRunner fleet;
    static byte[] program;

    @BeforeAll
    static void start() throws Exception {
        // the server and PKI of the integration harness, with no TRP of its own
        system = Fleet.start(dir, "sim", SECRET, Map.of(), Map.of("progdist.auth.max-sessions-per-user", "50",
                "progdist.channel.max-per-user", "50"));
        FleetProvisioning.provision(system.home, "S", 6, FleetProvisioning.KeyChoice.MIXED, "sim",
                (device, owner, cert) -> system.register(device, owner), n -> { });
        program = new byte[200_003];
        new java.util.Random(7).nextBytes(program);
        system.publish("fleet-app", "1.0.0", program);
        system.grant("fleet-app", "sim");
        fleet = FleetRunner.start(FleetRunner.Options.of(dir, "S", 6, "sim", SECRET)
                .withServers(List.of(URI.create("https://localhost:" + system.port)))
                .withCheckInPeriod(Duration.ofMinutes(10)) // the check-in endpoint is not what this test is about
                .withFaults(FaultPlan.parse("refuse-install=1,storage-full=1,bad-receipt=1,vanish=1,slow=1"),
                        Duration.ofMillis(300))
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10)));
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(fleet, system);
    }

    private static ChannelRelay.Outcome fetch(String device) {
        FirstPathClient client = system.client();
        SessionKeeper keeper = new SessionKeeper(client, "sim", SECRET, Duration.ofMinutes(5), Clock.systemUTC());
        try {
            return new ChannelRelay(keeper, client, fleet.bus()).fetch(device,
                    new ChannelRelay.Fetch("fleet-app", "1.0.0", "wrapped"));
        } finally {
            keeper.close();
        }
    }

    private static DeliveryLedger.Delivery latest(String device) {
        return system.deliveries(device).get(0);
    }

    @Test
    void theFaultsAreOnTheFirstDevicesInSpecOrder() {
        assertThat(FaultPlan.describe(fleet.faults())).isEqualTo(
                "refuse-install: S-0001; storage-full: S-0002; bad-receipt: S-0003; vanish: S-0004; slow: S-0005");
    }

    @Test
    void anHonestDeviceInstallsWithAVerifiedReceipt() throws Exception {
        ChannelRelay.Outcome o = fetch("S-0006");
        assertThat(o.installed()).as(o.toString()).isTrue();
        Path installed = new InstalledPrograms(system.home, "S-0006").programFile("fleet-app").orElseThrow();
        assertThat(Files.readAllBytes(installed)).isEqualTo(program);
        assertThat(latest("S-0006").outcome()).isEqualTo("installed");
        TrpStatus status = fleet.bus().status("S-0006");
        assertThat(status.installed()).extracting(TrpStatus.InstalledProgram::version).containsExactly("1.0.0");
    }

    @Test
    void refuseInstallAndStorageFullAreTheTrpsErrors() {
        assertThat(fetch("S-0001").code()).isIn("install-failed", "trp-install-failed");
        assertThat(latest("S-0001").reasonCode()).isEqualTo("trp-install-failed");
        assertThat(fetch("S-0002").code()).isIn("storage-full", "trp-storage-full");
        assertThat(latest("S-0002").reasonCode()).isEqualTo("trp-storage-full");
        assertThat(new InstalledPrograms(system.home, "S-0002").list()).isEmpty();
    }

    @Test
    void aBadReceiptIsRefusedByTheServer() {
        ChannelRelay.Outcome o = fetch("S-0003");
        assertThat(o.installed()).isFalse();
        assertThat(o.code()).isEqualTo("receipt-invalid");
        assertThat(latest("S-0003").outcome()).isEqualTo("failed");
        assertThat(latest("S-0003").reasonCode()).isEqualTo("receipt-invalid");
    }

    @Test
    void aSlowDeviceCompletes() {
        ChannelRelay.Outcome o = fetch("S-0005");
        assertThat(o.installed()).as(o.toString()).isTrue();
        assertThat(latest("S-0005").outcome()).isEqualTo("installed");
    }

    @Test
    void aVanishingDeviceGoesSilentMidDelivery() {
        assertThatThrownBy(() -> fetch("S-0004")).hasMessageContaining("did not answer");
        // silent from then on, status included
        assertThatThrownBy(() -> fleet.bus().status("S-0004")).hasMessageContaining("did not answer");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> !system.deliveries("S-0004").isEmpty() && latest("S-0004").outcome().equals("failed"));
    }
}
