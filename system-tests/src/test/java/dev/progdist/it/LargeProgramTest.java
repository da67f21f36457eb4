package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.DeviceBus;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.trp.InstalledPrograms;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large program through the whole system (server, gateway, TRP emulator in this JVM) in both
 * modes. Tagged {@code slow} and {@code large}: {@code mvn -Pslow verify} runs it in its own JVM
 * with a capped heap ({@code -Xmx256m}, see the parent pom), with a 1 GiB program by default
 * ({@code -Dprogdist.test.large-mib=N} to change it), so a buffer that grows with the program fails
 * it. The default suite streams a smaller program of many windows in {@link DeliveryIntegrationTest}.
 */
@Tag("slow")
@Tag("large")
class LargeProgramTest {

    static final char[] SECRET = "large-program-secret".toCharArray();
    static final long SIZE = Long.getLong("progdist.test.large-mib", 1024) * 1024 * 1024;

    @TempDir
    static Path dir;
    static Fleet fleet;
    static Path program;

    @BeforeAll
    static void start() throws Exception {
        // the TRP opens and installs the whole program before it answers DeliveryEnd: the server
        // must not expire the channel meanwhile (the fleet's 2 s would; production's default is 2 min)
        fleet = Fleet.start(dir, "ivan", SECRET, Map.of("lg-ec", KeyType.EC_P256, "lg-rsa", KeyType.RSA_3072),
                Map.of("progdist.channel.idle-timeout", "PT10M", "progdist.gateway.bus.channel-step-timeout", "600000"));
        fleet.register("lg-ec", "ivan");
        fleet.register("lg-rsa", "ivan");
        DeviceBus bus = fleet.gatewayBean("deviceBus", DeviceBus.class);
        for (String d : List.of("lg-ec", "lg-rsa")) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> bus.status(d) != null);
        }
        program = dir.resolve("large.bin");
        writeRandom(program, SIZE);
        fleet.publish("large", "1.0", program);
        fleet.grant("large", "ivan");
    }

    @AfterAll
    static void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void aLargeProgramGoesThroughWrappedToAnEcTrp() throws Exception {
        assertInstalled("lg-ec", "wrapped");
    }

    @Test
    void aLargeProgramGoesThroughDirectToAnRsaTrp() throws Exception {
        assertInstalled("lg-rsa", "direct");
    }

    private void assertInstalled(String device, String mode) throws Exception {
        ChannelRelay.Outcome o = fleet.relayAs("ivan", SECRET).fetch(device, new ChannelRelay.Fetch("large", "1.0", mode));
        assertThat(o.installed()).as(o.toString()).isTrue();
        Path installed = new InstalledPrograms(fleet.home, device).programFile("large").orElseThrow();
        assertThat(Files.size(installed)).isEqualTo(SIZE);
        assertThat(Files.mismatch(installed, program)).isEqualTo(-1L);
    }

    static void writeRandom(Path file, long size) throws Exception {
        SplittableRandom random = new SplittableRandom(42);
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= buf.length) {
                for (int i = 0; i < buf.length; i += 8) {
                    long r = random.nextLong();
                    for (int j = 0; j < 8; j++) {
                        buf[i + j] = (byte) (r >>> (8 * j));
                    }
                }
                out.write(buf, 0, (int) Math.min(buf.length, left));
            }
        }
    }
}
