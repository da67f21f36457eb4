package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.fleet.FaultPlan;
import dev.progdist.fleet.FleetRunner;
import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.gateway.SessionKeeper;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash and restart mid-rollout (docs/rollouts.md, "Faults and what happens"): the server runs as
 * a process of its own (H2 file database and embedded broker in its home), the fleet of eleven TRPs
 * in this JVM, ten of them in the rollout. Four of those are slow, so that their 3 MiB deliveries
 * are still in flight when the others have installed, and so is a single delivery (a gateway fetch
 * outside any rollout) to the eleventh, slow too; then the server is killed with SIGKILL and
 * started again on the same home and port. The rollout must finish with every device installed exactly once: its deliveries
 * that the dead instance left unfinished fail {@code server-lost} once its heartbeat is older than
 * the lease, and the retry rule offers them again.
 */
@Tag("slow")
class RolloutCrashRestartTest {

    private static final Logger LOG = LoggerFactory.getLogger(RolloutCrashRestartTest.class);
    /** K-0001 (slow) gets a single delivery outside the rollout; K-0002 … K-0011 are the rollout's. */
    static final int DEVICES = 11;

    @TempDir
    Path dir;
    ServerProcess server;
    FleetRunner fleet;

    @AfterEach
    void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
        if (server != null) {
            if (server.alive()) {
                LOG.info("server log (end):\n{}", server.logTail());
            }
            server.close();
        }
    }

    @Test
    void aServerKilledMidRolloutAndRestartedFinishesItWithEveryDeviceInstalledOnce() throws Exception {
        Home home = CrashRollouts.home(dir.resolve("home"));
        // set up while no server runs, then close: the server process must own the H2 file
        try (Database db = Database.openHome(home, 4)) {
            CrashRollouts.prepare(home, db, "K", DEVICES);
        }
        server = new ServerProcess("server", home, Fleet.freePort(), CrashRollouts.serverSettings(), Map.of(),
                CrashRollouts.logDir("crash-restart")).start();
        fleet = FleetRunner.start(FleetRunner.Options.of(home.root(), "K", DEVICES, CrashRollouts.USER,
                        CrashRollouts.SECRET)
                .withServers(List.of(server.url()))
                .withCheckInPeriod(Duration.ofSeconds(1))
                .withFaults(FaultPlan.parse("slow=5"), Duration.ofMillis(1500))
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(20)));
        String killed;
        try (Database db = Database.openHome(home, 1)) {
            List<String> live = CrashRollouts.liveInstances(db);
            assertThat(live).hasSize(1);
            killed = live.get(0);
        }
        String single = fleet.devices().get(0);
        List<String> devices = fleet.devices().subList(1, DEVICES);

        CrashRollouts.Operator ops = CrashRollouts.Operator.login(home, server.url());
        String id = ops.create(CrashRollouts.rollout(devices)).path("id").asText();
        // and one single delivery (gateway fetch, no rollout) to the slow K-0001, in flight at the kill too
        FirstPathClient client = new FirstPathClient(server.url(), home.distributionCaCertificate(),
                Duration.ofSeconds(20));
        SessionKeeper keeper = new SessionKeeper(client, CrashRollouts.USER, CrashRollouts.SECRET,
                Duration.ofMinutes(5), Clock.systemUTC());
        CompletableFuture<ChannelRelay.Outcome> fetch = CompletableFuture.supplyAsync(() -> new ChannelRelay(keeper,
                client, fleet.bus()).fetch(single, new ChannelRelay.Fetch(CrashRollouts.PROGRAM, CrashRollouts.VERSION,
                null)));

        // kill it while some devices are installed and some are still delivering, the single one too
        JsonNode[] before = new JsonNode[1];
        List<?>[] singleRows = {List.of()};
        try {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
                before[0] = ops.rollout(id);
                JsonNode c = before[0].path("counts");
                if (c.path("installed").asInt() < 3 || c.path("delivering").asInt() < 2) {
                    return false;
                }
                try (Database db = Database.openHome(home, 1)) {
                    List<DeliveryLedger.Delivery> rows = CrashRollouts.ledger(db, List.of(single));
                    singleRows[0] = rows.stream().map(r -> r.outcome() + "/" + r.reasonCode()).toList();
                    return rows.stream().anyMatch(r -> r.outcome().equals("requested") || r.outcome().equals("sending"));
                }
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no moment with deliveries in flight: rollout " + (before[0] == null ? null
                    : before[0].path("counts")) + ", single delivery " + singleRows[0] + ", fetch " + fetch, e);
        }
        server.kill(); // at once: nothing may finish between the check above and the kill
        Instant killedAt = Instant.now();
        LOG.info("Killed the server (instance {}) with the rollout at {}", killed, before[0].path("counts"));

        long t0 = System.nanoTime();
        server.start(); // same home, same port
        LOG.info("Restarted the server in {} ms", (System.nanoTime() - t0) / 1_000_000);
        CrashRollouts.Operator again = CrashRollouts.Operator.login(home, server.url());
        JsonNode done = again.awaitEnd(id, Duration.ofMinutes(3));

        try (Database db = Database.openHome(home, 1)) {
            List<DeliveryLedger.Delivery> rows = CrashRollouts.assertInstalledExactlyOnce(done, id, devices, db,
                    killed, killedAt);
            assertThat(CrashRollouts.liveInstances(db)).doesNotContain(killed);
            // the single delivery, too, ended failed server-lost instead of staying sending
            assertThat(CrashRollouts.ledger(db, List.of(single))).singleElement().satisfies(r -> {
                assertThat(r.rolloutId()).isNull();
                assertThat(r.outcome()).isEqualTo("failed");
                assertThat(r.reasonCode()).isEqualTo("server-lost");
            });
            LOG.info("Ledger after the restart: {} rows, {} server-lost", rows.size(),
                    rows.stream().filter(r -> "server-lost".equals(r.reasonCode())).count());
        }
        // the devices caught mid-delivery were delivered again: a second attempt
        long retried = 0;
        for (JsonNode d : again.devices(id).path("devices")) {
            assertThat(d.path("state").asText()).isEqualTo("installed");
            if (d.path("attempts").asInt() > 1) {
                retried++;
            }
        }
        assertThat(retried).isGreaterThanOrEqualTo(1);
        assertThat(fetch).isCompletedExceptionally(); // its connection died with the server
    }
}
