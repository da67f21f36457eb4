package dev.progdist.processors.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.delivery.RolloutLink;
import dev.progdist.processors.program.DeliveryLedger;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The link between deliveries and assignments, as program request and transmit use it. */
class RolloutDeliveriesTest {

    @TempDir
    Path dir;
    RolloutFixture f;

    @BeforeEach
    void open() {
        f = new RolloutFixture(dir, null);
    }

    @AfterEach
    void close() {
        f.close();
    }

    private String open(String device, String version) {
        return f.ledger.open("s", "alice", device, RolloutFixture.PROGRAM, version, null);
    }

    /**
     * The crash between the TRP's receipt and its verification, as the ledger sees it: the lost
     * delivery is failed {@code server-lost} and retried; only the retry's verified receipt makes the
     * assignment {@code installed}, once, and no late or repeated settlement of either delivery
     * changes or counts anything again.
     */
    @Test
    void aDeliveryLostInACrashIsRetriedAndOnlyTheRetrysReceiptCountsAndOnlyOnce() throws Exception {
        f.devices("d", 1);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.retries = 1;
        r.backoff = "10s";
        r.error = "0";
        RolloutView v = f.create(r);
        f.scheduler.tick();
        String lost = f.startDelivery("d-001");
        // the fixture's rows name no instance: to the heartbeat sweep, their instance is gone
        DeliveryLedger server = new DeliveryLedger(f.db, f.clock, null, f.deliveries);
        assertThat(server.failLost(Duration.ofSeconds(30))).isEqualTo(1);
        assertThat(f.state(v.id(), "d-001")).as("retried").isEqualTo("scheduled");
        assertThatThrownBy(() -> server.installed(lost, "b".repeat(64), "c2ln")).as("a lost receipt is never recorded")
                .isInstanceOf(IllegalStateException.class);

        f.clock.advance(Duration.ofSeconds(11));
        f.scheduler.tick();
        String again = f.startDelivery("d-001");
        assertThat(again).isNotNull().isNotEqualTo(lost);
        server.installed(again, "b".repeat(64), "c2ln");
        assertThat(f.state(v.id(), "d-001")).isEqualTo("installed");
        assertThat(f.reason(v.id(), "d-001")).as("a receipt of its own, not already-installed").isNull();

        try (Connection c = f.db.connection()) {
            c.setAutoCommit(false);
            f.deliveries.settled(c, lost, true, null, null);
            f.deliveries.settled(c, again, true, null, null);
            f.deliveries.settled(c, again, false, "trp-install-failed", "late");
            c.commit();
        }
        f.scheduler.tick();
        RolloutView done = f.view(v.id());
        assertThat(done.status()).isEqualTo("finished");
        assertThat(done.counts()).containsEntry("installed", 1L).containsEntry("failed", 0L);
        assertThat(f.string("SELECT attempts FROM rollout_assignments WHERE rollout_id = ?", v.id())).isEqualTo("2");
        assertThat(f.string("SELECT outcome || ' ' || reason_code FROM deliveries WHERE delivery_id = ?", lost))
                .isEqualTo("failed server-lost");
        assertThat(f.drainEvents().stream().filter(e -> e.contains("\"type\":\"assignment\"")
                && e.contains("\"to\":\"installed\""))).hasSize(1);
    }

    @Test
    void aClaimTakesExactlyTheOfferedProgramVersionAndCarriesTheRolloutsMode() {
        f.publish(RolloutFixture.PROGRAM, "2.0");
        f.devices("d", 1);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.mode = "direct";
        RolloutView v = f.create(r);
        f.scheduler.tick();
        assertThat(f.rollouts.checkIn("alice", "d-001")).contains(new Offer(v.id(), RolloutFixture.PROGRAM,
                RolloutFixture.VERSION, "direct"));
        assertThat(f.state(v.id(), "d-001")).isEqualTo("offered");

        String other = open("d-001", "2.0");
        assertThat(f.deliveries.claim("d-001", RolloutFixture.PROGRAM, "2.0", other)).as("another version").isEmpty();
        assertThat(f.deliveries.claim("d-001", "other-program", RolloutFixture.VERSION, other)).isEmpty();
        assertThat(f.deliveries.stillWanted(other)).as("an ordinary delivery").isTrue();
        assertThat(f.state(v.id(), "d-001")).isEqualTo("offered");

        String id = open("d-001", RolloutFixture.VERSION);
        Optional<RolloutLink.Assignment> claimed = f.deliveries.claim("d-001", RolloutFixture.PROGRAM,
                RolloutFixture.VERSION, id);
        assertThat(claimed).contains(new RolloutLink.Assignment(v.id(), 1, "direct", "all"));
        assertThat(f.state(v.id(), "d-001")).isEqualTo("delivering");
        assertThat(f.string("SELECT delivery_id FROM rollout_assignments WHERE rollout_id = ?", v.id())).isEqualTo(id);
        assertThat(f.string("SELECT attempts FROM rollout_assignments WHERE rollout_id = ?", v.id())).isEqualTo("1");
        assertThat(f.string("SELECT rollout_id FROM deliveries WHERE delivery_id = ?", id)).isEqualTo(v.id());
        assertThat(f.deliveries.stillWanted(id)).isTrue();
        assertThat(f.rollouts.checkIn("alice", "d-001")).as("already delivering").isEmpty();
        String second = open("d-001", RolloutFixture.VERSION);
        assertThat(f.deliveries.claim("d-001", RolloutFixture.PROGRAM, RolloutFixture.VERSION, second))
                .as("one delivery per assignment").isEmpty();
        // settling a delivery no rollout knows changes nothing
        f.finish(other, false, "trp-storage-full");
        assertThat(f.state(v.id(), "d-001")).isEqualTo("delivering");
    }

    @Test
    void nothingIsClaimedForAPausedRolloutAndAFreshKeyPerGroupHasAScopePerGroup() {
        f.devices("d", 2);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.groups = RolloutFixture.percents(50, 100);
        RolloutRequest base = r.build();
        RolloutRequest fresh = new RolloutRequest(base.name(), base.programId(), base.version(), base.mode(),
                base.targets(), base.groups(), base.successThreshold(), base.onSuccess(), base.errorThreshold(),
                base.securityThreshold(), base.deviceTimeout(), base.retries(), base.retryBackoff(), base.order(),
                base.seed(), base.startAt(), base.window(), base.windowZone(), base.dynamic(), true, true);
        RolloutView v = f.rollouts.create(fresh, "olga");
        assertThat(v.mode()).as("the program's default mode").isEqualTo("wrapped");
        f.scheduler.tick();
        f.rollouts.pause(v.id(), "olga");
        String id = open("d-001", RolloutFixture.VERSION);
        assertThat(f.deliveries.claim("d-001", RolloutFixture.PROGRAM, RolloutFixture.VERSION, id)).isEmpty();
        f.rollouts.resume(v.id(), "olga");
        assertThat(f.deliveries.claim("d-001", RolloutFixture.PROGRAM, RolloutFixture.VERSION, id))
                .hasValueSatisfying(a -> assertThat(a.releaseScope()).isEqualTo("g1"));
    }

    @Test
    void checkInRefusesADeviceOfAnotherUserOrADisabledOne() {
        f.devices("d", 1);
        f.user("bob", dev.progdist.processors.auth.Role.USER);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.rollouts.checkIn("bob", "d-001"))
                .isInstanceOf(RolloutException.class).hasMessageContaining("not registered to bob");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.rollouts.checkIn("alice", "nope"))
                .isInstanceOf(RolloutException.class);
        f.registry.setStatus("d-001", false);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.rollouts.checkIn("alice", "d-001"))
                .satisfies(e -> assertThat(((RolloutException) e).type())
                        .isEqualTo(dev.progdist.protocol.wire.ProblemType.DEVICE_DISABLED));
        assertThat(f.rollouts.checkInAfter()).isEqualTo(java.time.Duration.ofSeconds(5));
    }

    @Test
    void theCheckInPauseStretchesSoThatAllLiveSessionsStayUnderTheCheckInRate() {
        assertThat(Rollouts.paced(java.time.Duration.ofSeconds(5), 999, 200)).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(Rollouts.paced(java.time.Duration.ofSeconds(5), 1001, 200)).isEqualTo(java.time.Duration.ofSeconds(6));
        assertThat(Rollouts.paced(java.time.Duration.ofSeconds(5), 10_000, 200)).isEqualTo(java.time.Duration.ofSeconds(50));
        assertThat(Rollouts.paced(java.time.Duration.ofSeconds(5), 10_000, 0)).isEqualTo(java.time.Duration.ofSeconds(5));

        // one check-in a second for all sessions together: three live sessions ask for 3 s, a closed one does not count
        f.configure(RolloutSettings.defaults().withCheckInRate(1).withCheckInAfter(java.time.Duration.ofSeconds(1)));
        for (int i = 0; i < 3; i++) {
            f.sessions.open("alice", dev.progdist.processors.auth.Role.USER);
        }
        f.sessions.close(f.sessions.open("alice", dev.progdist.processors.auth.Role.USER).sessionId());
        assertThat(f.rollouts.checkInAfter()).isEqualTo(java.time.Duration.ofSeconds(3));
    }
}
