package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.DeviceBus;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.trp.InstalledPrograms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Program delivery end to end on the real parts: the server (catalog, ledger, delivery stages),
 * a gateway relaying over HTTPS and the device bus, and EC and RSA TRP emulators that decrypt,
 * verify, install and sign receipts. Both envelope modes on both key types; the bytes the TRP
 * installs are the bytes that were published, and the ledger holds a verified receipt.
 */
class DeliveryIntegrationTest {

    static final char[] SECRET = "delivery-test-secret".toCharArray();
    static final String EC = "dl-ec";
    static final String RSA = "dl-rsa";

    @TempDir
    static Path dir;
    static Fleet fleet;
    static byte[] v1;
    static byte[] v2;

    @BeforeAll
    static void start() throws Exception {
        fleet = Fleet.start(dir, "erin", SECRET, Map.of(EC, KeyType.EC_P256, RSA, KeyType.RSA_3072));
        fleet.register(EC, "erin");
        fleet.register(RSA, "erin");
        DeviceBus bus = fleet.gatewayBean("deviceBus", DeviceBus.class);
        for (String d : List.of(EC, RSA)) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> bus.status(d) != null);
        }
        // sizes that end mid-chunk and span several windows of the relay
        v1 = random(300_001);
        v2 = random(2 * 1024 * 1024 + 12_345);
        fleet.publish("hello", "1.0", v1);
        fleet.publish("hello", "2.0", v2);
        fleet.grant("hello", "erin");
    }

    @AfterAll
    static void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void anEcTrpReceivesDirectThenWrapped() throws Exception {
        // one window: ClientHello; Hello and Fetch in one flight; the Receipt; then the empty reply
        assertThat(assertDelivered(EC, "1.0", "direct", v1).rounds()).isEqualTo(4);
        assertDelivered(EC, "2.0", "wrapped", v2);
    }

    @Test
    void anRsaTrpReceivesWrappedThenDirect() throws Exception {
        assertDelivered(RSA, "1.0", "wrapped", v1);
        assertDelivered(RSA, "2.0", "direct", v2);
    }

    @Test
    void aProgramOfManyWindowsStreamsThroughAndIsInstalledIntact() throws Exception {
        Path file = dir.resolve("many-windows.bin");
        LargeProgramTest.writeRandom(file, 24L * 1024 * 1024 + 77);
        fleet.publish("bulk", "1.0", file);
        fleet.grant("bulk", "erin");
        ChannelRelay.Outcome o = fleet.relayAs("erin", SECRET).fetch(EC, new ChannelRelay.Fetch("bulk", null, null));
        assertThat(o.installed()).as(o.toString()).isTrue();
        // the server's default mode, 1 MiB per relay round: 24+ windows plus handshake, fetch and receipt
        assertThat(o.trpReport()).containsEntry("progdistMode", "wrapped");
        assertThat(o.rounds()).isGreaterThan(25);
        Path installed = new InstalledPrograms(fleet.home, EC).programFile("bulk").orElseThrow();
        assertThat(Files.mismatch(installed, file)).isEqualTo(-1L);
    }

    private ChannelRelay.Outcome assertDelivered(String device, String version, String mode, byte[] published)
            throws Exception {
        ChannelRelay.Outcome o = fleet.relayAs("erin", SECRET).fetch(device, new ChannelRelay.Fetch("hello", version, mode));

        assertThat(o.installed()).as(o.toString()).isTrue();
        assertThat(o.trpReport()).containsEntry("progdistMode", mode).containsEntry("progdistVersion", version)
                .containsEntry("progdistProgramSha256", Fleet.sha256(published));
        InstalledPrograms store = new InstalledPrograms(fleet.home, device);
        assertThat(store.installedVersion("hello")).contains(version);
        assertThat(Files.readAllBytes(store.programFile("hello").orElseThrow())).isEqualTo(published);

        DeliveryLedger.Delivery row = fleet.deliveries(device).stream()
                .filter(d -> version.equals(d.version()) && "hello".equals(d.programId())).findFirst().orElseThrow();
        assertThat(row.outcome()).isEqualTo("installed");
        assertThat(row.mode()).isEqualTo(mode);
        assertThat(row.userId()).isEqualTo("erin");
        assertThat(row.programSha256()).isEqualTo(Fleet.sha256(published));
        assertThat(row.envelopeSha256()).isEqualTo(o.trpReport().get("progdistEnvelopeSha256"));
        assertThat(row.serverNonce()).hasSize(43);
        assertThat(row.finishedAt()).isNotNull();
        assertThat(row.reasonCode()).isNull();
        return o;
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
