package dev.progdist.processors.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.delivery.RolloutLink;
import java.nio.file.Path;
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
}
