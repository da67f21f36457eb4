package dev.progdist.processors.program;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.ServerInstances;
import dev.progdist.processors.store.StoreException;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.processors.testing.TestDatabases;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash recovery of the ledger: rows name their server instance; the unfinished rows of an instance
 * that stopped heartbeating are failed {@code server-lost} after the lease (and only then), through
 * the settlement, in the transaction that fails them; a live instance's rows are left alone.
 */
class DeliveryLedgerRecoveryTest {

    private static final String SHA = "a".repeat(64);
    private static final Duration LEASE = Duration.ofSeconds(30);

    /** What the settlement saw: delivery, installed, code. */
    record Settled(String deliveryId, boolean installed, String code) {
    }

    @TempDir
    Path dir;
    Database db;
    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    final List<Settled> settled = new CopyOnWriteArrayList<>();
    final DeliverySettlement recording = (c, id, installed, code, detail) -> settled.add(new Settled(id, installed, code));

    @BeforeEach
    void open() throws Exception {
        db = openDatabase();
    }

    @AfterEach
    void close() throws Exception {
        closeDatabase();
    }

    /** H2 here; PostgreSQL in {@link DeliveryLedgerRecoveryPostgresTest}. */
    Database openDatabase() throws Exception {
        return TestDatabases.open(dir, 4);
    }

    void closeDatabase() throws Exception {
        db.close();
    }

    @Test
    void theSendingRowOfAnInstanceThatStoppedHeartbeatingFailsServerLostAfterTheLeaseNotBefore() {
        ServerInstances crashed = new ServerInstances(db, clock);
        ServerInstances live = new ServerInstances(db, clock);
        crashed.register();
        live.register();
        DeliveryLedger crashedLedger = new DeliveryLedger(db, clock, crashed.instanceId(), recording);
        DeliveryLedger liveLedger = new DeliveryLedger(db, clock, live.instanceId(), recording);
        String lost = crashedLedger.open("s1", "alice", "dev-1", "editor", "1.0", null);
        crashedLedger.sending(lost, "1.0", "wrapped", SHA, 100, "n1");
        String lostRequested = crashedLedger.open("s1", "alice", "dev-2", "editor", null, null);
        String alive = liveLedger.open("s2", "alice", "dev-3", "editor", "1.0", null);
        liveLedger.sending(alive, "1.0", "wrapped", SHA, 100, "n2");
        assertThat(crashedLedger.find(lost).orElseThrow().instanceId()).isEqualTo(crashed.instanceId());

        // the crashed instance heartbeats no more; the live one does
        clock.advance(Duration.ofSeconds(20));
        live.heartbeat();
        assertThat(liveLedger.failLost(LEASE)).as("within the lease").isZero();
        assertThat(liveLedger.find(lost).orElseThrow().outcome()).isEqualTo("sending");
        assertThat(settled).isEmpty();

        clock.advance(Duration.ofSeconds(11));
        live.heartbeat();
        assertThat(live.lost(LEASE)).containsExactly(crashed.instanceId());
        assertThat(liveLedger.failLost(LEASE)).isEqualTo(2);

        DeliveryLedger.Delivery failed = liveLedger.find(lost).orElseThrow();
        assertThat(failed.outcome()).isEqualTo("failed");
        assertThat(failed.reasonCode()).isEqualTo("server-lost");
        assertThat(failed.reasonDetail()).contains(crashed.instanceId());
        assertThat(failed.finishedAt()).isEqualTo(clock.instant());
        assertThat(liveLedger.find(lostRequested).orElseThrow().reasonCode()).isEqualTo("server-lost");
        assertThat(settled).containsExactlyInAnyOrder(new Settled(lost, false, "server-lost"),
                new Settled(lostRequested, false, "server-lost"));
        assertThat(liveLedger.find(alive).orElseThrow().outcome()).as("a live instance's row").isEqualTo("sending");

        // once is enough: a second pass (or another instance's) finds nothing
        assertThat(new DeliveryLedger(db, clock, live.instanceId(), recording).failLost(LEASE)).isZero();
        assertThat(settled).hasSize(2);
        // the live instance finishes its own delivery as usual
        assertThat(liveLedger.installedDelivery("dev-3", "editor", "1.0")).isEmpty();
        liveLedger.installed(alive, SHA, "sig");
        assertThat(settled).contains(new Settled(alive, true, null));
        assertThat(liveLedger.installedDelivery("dev-3", "editor", "1.0").orElseThrow().deliveryId()).isEqualTo(alive);
        assertThat(liveLedger.installedDelivery("dev-1", "editor", "1.0")).as("failed, not installed").isEmpty();
        assertThat(liveLedger.installedDelivery("dev-3", "editor", "2.0")).isEmpty();
    }

    @Test
    void rowsOfAnUnknownInstanceAndRowsThatNameNoInstanceAreLostAtOnce() throws Exception {
        ServerInstances me = new ServerInstances(db, clock);
        me.register();
        String ofAnother = new DeliveryLedger(db, clock, "never-heartbeated", recording)
                .open("s1", "alice", "dev-1", "editor", null, null);
        String ofOld = new DeliveryLedger(db, clock).open("s1", "alice", "dev-2", "editor", null, null);
        DeliveryLedger ledger = new DeliveryLedger(db, clock, me.instanceId(), recording);
        String mine = ledger.open("s1", "alice", "dev-3", "editor", null, null);
        assertThat(ledger.find(ofOld).orElseThrow().instanceId()).isNull();

        assertThat(ledger.failLost(LEASE)).isEqualTo(2);
        assertThat(ledger.find(ofAnother).orElseThrow().reasonCode()).isEqualTo("server-lost");
        assertThat(ledger.find(ofOld).orElseThrow().reasonCode()).isEqualTo("server-lost");
        assertThat(ledger.find(mine).orElseThrow().outcome()).isEqualTo("requested");
    }

    @Test
    void aFailingSettlementRollsTheLedgerRowBack() {
        DeliverySettlement refusing = (c, id, installed, code, detail) -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT outcome FROM deliveries WHERE delivery_id = ?")) {
                ps.setString(1, id);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    // the settlement sees the row as the transaction changed it
                    settled.add(new Settled(id, installed, rs.getString(1)));
                }
            }
            throw new java.sql.SQLException("the assignment cannot change");
        };
        DeliveryLedger ledger = new DeliveryLedger(db, clock, "i-1", refusing);
        String id = ledger.open("s1", "alice", "dev-1", "editor", "1.0", null);
        ledger.sending(id, "1.0", "wrapped", SHA, 1, "n");

        assertThatThrownBy(() -> ledger.installed(id, SHA, "sig")).isInstanceOf(StoreException.class);
        assertThat(settled).containsExactly(new Settled(id, true, "installed"));
        assertThat(ledger.find(id).orElseThrow().outcome()).as("rolled back with the settlement").isEqualTo("sending");
        assertThatThrownBy(() -> ledger.failed(id, "trp-storage-full", "x")).isInstanceOf(StoreException.class);
        assertThat(ledger.find(id).orElseThrow().outcome()).isEqualTo("sending");
    }

    @Test
    void aFinishedRowIsNotSettledAgainAndALinkedRowNamesItsRollout() {
        DeliveryLedger ledger = new DeliveryLedger(db, clock, "i-1", recording);
        String id = ledger.open("s1", "alice", "dev-1", "editor", "1.0", null);
        ledger.linkRollout(id, "r-1");
        assertThat(ledger.find(id).orElseThrow().rolloutId()).isEqualTo("r-1");
        ledger.failed(id, "trp-storage-full", "full");
        ledger.failed(id, "internal-error", "again");
        assertThat(settled).containsExactly(new Settled(id, false, "trp-storage-full"));
        assertThatThrownBy(() -> ledger.linkRollout(id, "r-2")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void instancesHeartbeatAndAreForgottenOnceNothingNamesThem() {
        ServerInstances a = new ServerInstances(db, clock);
        a.register();
        ServerInstances b = new ServerInstances(db, clock);
        b.heartbeat(); // registers on its first heartbeat
        assertThat(a.live(LEASE)).containsExactlyInAnyOrder(a.instanceId(), b.instanceId());
        new DeliveryLedger(db, clock, b.instanceId(), recording).open("s", "alice", "dev-1", "p", null, null);

        clock.advance(Duration.ofMinutes(10));
        a.heartbeat();
        assertThat(a.lost(LEASE)).containsExactly(b.instanceId());
        assertThat(a.forget(Duration.ofMinutes(5))).as("its delivery is unfinished").isZero();
        new DeliveryLedger(db, clock, a.instanceId(), recording).failLost(LEASE);
        assertThat(a.forget(Duration.ofMinutes(5))).isEqualTo(1);
        assertThat(a.lost(LEASE)).isEmpty();
        a.deregister();
        assertThat(a.live(LEASE)).isEmpty();
    }
}
