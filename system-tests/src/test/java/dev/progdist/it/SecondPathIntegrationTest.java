package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.DeviceBus;
import dev.progdist.processors.channel.ChannelLog;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.trp.TrpIdentityStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The second path end to end over real HTTPS, a real broker and separate gateway and TRP components. */
class SecondPathIntegrationTest {

    static final char[] SECRET = "second-path-secret".toCharArray();

    @TempDir
    static Path dir;
    static Fleet fleet;

    @BeforeAll
    static void start() throws Exception {
        fleet = Fleet.start(dir, "carol", SECRET, Map.of("sp-ec", KeyType.EC_P256, "sp-rsa", KeyType.RSA_3072));
        fleet.register("sp-ec", "carol");
        fleet.register("sp-rsa", "carol");
        DeviceBus bus = fleet.gatewayBean("deviceBus", DeviceBus.class);
        for (String d : List.of("sp-ec", "sp-rsa")) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> bus.status(d) != null);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void anEcTrpOpensAnAuthenticatedTls13ChannelBoundToTheSession() {
        assertHappyPath("sp-ec");
    }

    @Test
    void anRsaTrpOpensAnAuthenticatedTls13ChannelBoundToTheSession() {
        assertHappyPath("sp-rsa");
    }

    private void assertHappyPath(String device) {
        ChannelRelay.Outcome outcome = fleet.relayAs("carol", SECRET).connect(device);

        assertThat(outcome.authenticated()).as(outcome.toString()).isTrue();
        assertThat(outcome.protocol()).isEqualTo("TLSv1.3");
        assertThat(outcome.cipherSuite()).isIn("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                "TLS_CHACHA20_POLY1305_SHA256");
        assertThat(outcome.trpReport().get("progdistPeer")).contains("CN=progdist channel");
        assertThat(outcome.code()).isNull();
        List<ChannelLog.Event> events = fleet.serverBean("channelLog", ChannelLog.class).forDevice(device);
        assertThat(events).extracting(ChannelLog.Event::outcome).contains("authenticated");
        ChannelLog.Event auth = events.stream().filter(e -> e.outcome().equals("authenticated")).reduce((a, b) -> b)
                .orElseThrow();
        assertThat(auth.userId()).isEqualTo("carol");
        assertThat(auth.fingerprint()).isEqualTo(TrpIdentityStore.open(fleet.home, device).fingerprint());
    }
}
