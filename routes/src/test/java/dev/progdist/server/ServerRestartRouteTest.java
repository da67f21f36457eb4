package dev.progdist.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.program.DeliverySettlement;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.ServerInstances;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.protocol.Home;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server restarted on the same home after a delivery was left {@code sending} (a {@code kill -9}:
 * the row names an instance that heartbeats no more) fails that row {@code server-lost} as it
 * starts, leaves the rows of a live instance alone, deletes the release files earlier runs left,
 * and heartbeats while it runs.
 */
class ServerRestartRouteTest {

    private static final String SHA = "a".repeat(64);

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void aRestartedServerFailsTheDeliveryAKilledInstanceLeftSending() throws Exception {
        Home home = Home.at(dir.resolve("home"));
        DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        Map<String, String> settings = Map.of(
                "progdist.db.url", "jdbc:h2:file:" + dir.resolve("db") + ";AUTO_SERVER=TRUE",
                "progdist.server.heartbeat-period", "200");
        String killedRow;
        String liveRow;
        String firstInstance;

        CamelContext first = start(home, settings);
        try {
            Database db = first.getRegistry().lookupByNameAndType("database", Database.class);
            firstInstance = first.getRegistry().lookupByNameAndType("serverInstances", ServerInstances.class)
                    .instanceId();
            // what a killed instance leaves: a sending row of an instance that never heartbeats again
            DeliveryLedger killed = new DeliveryLedger(db, clock, "killed-instance", DeliverySettlement.NONE);
            killedRow = killed.open("s1", "alice", "dev-1", "editor", "1.0", null);
            killed.sending(killedRow, "1.0", "wrapped", SHA, 100, "nonce");
            // and an instance elsewhere that is alive (it heartbeats now): its row must stay
            ServerInstances other = new ServerInstances(db, clock, "live-elsewhere");
            other.register();
            DeliveryLedger live = new DeliveryLedger(db, clock, other.instanceId(), DeliverySettlement.NONE);
            liveRow = live.open("s2", "alice", "dev-2", "editor", "1.0", null);
            live.sending(liveRow, "1.0", "wrapped", SHA, 100, "nonce-2");
            assertThat(live.find(killedRow).orElseThrow().outcome()).isEqualTo("sending");
        } finally {
            first.stop();
        }
        Path stale = home.releasesDir().resolve("killed-instance").resolve("r-1-rollout.bin");
        Files.createDirectories(stale.getParent());
        Files.write(stale, new byte[] {1, 2, 3});

        CamelContext second = start(home, settings);
        try {
            Database db = second.getRegistry().lookupByNameAndType("database", Database.class);
            ServerInstances me = second.getRegistry().lookupByNameAndType("serverInstances", ServerInstances.class);
            assertThat(me.instanceId()).as("a new instance ID per start").isNotEqualTo(firstInstance);
            DeliveryLedger ledger = new DeliveryLedger(db, clock);

            DeliveryLedger.Delivery failed = ledger.find(killedRow).orElseThrow();
            assertThat(failed.outcome()).isEqualTo("failed");
            assertThat(failed.reasonCode()).isEqualTo("server-lost");
            assertThat(failed.reasonDetail()).contains("killed-instance");
            assertThat(ledger.find(liveRow).orElseThrow().outcome()).isEqualTo("sending");
            assertThat(Files.exists(stale)).as("release files of earlier runs are deleted").isFalse();
            assertThat(Files.isDirectory(home.releasesDir().resolve(me.instanceId()))).isTrue();

            // this instance heartbeats: once the clock moves, its heartbeat follows it
            clock.advance(Duration.ofMinutes(1));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> me.live(Duration.ofSeconds(30)).contains(me.instanceId()));
            // and the other instance, silent for a minute now, is lost: the heartbeat route fails its row
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> "failed".equals(ledger.find(liveRow).orElseThrow().outcome()));
            assertThat(ledger.find(liveRow).orElseThrow().reasonCode()).isEqualTo("server-lost");
        } finally {
            second.stop();
        }
    }

    private CamelContext start(Home home, Map<String, String> settings) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CamelContext context = new DefaultCamelContext();
        RouteTestServer.configure(context, home.root(), port, clock, List.of("error-handling", "instance-heartbeat"),
                settings);
        context.start();
        return context;
    }
}
