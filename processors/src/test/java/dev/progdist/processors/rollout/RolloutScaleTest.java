package dev.progdist.processors.rollout;

import static dev.progdist.processors.rollout.RolloutFixture.percents;
import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.store.Database;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of targets go through the paged, batched paths (several pages, devices sharing one
 * registration time), and a crashed instance's unfinished deliveries are failed by the heartbeat.
 */
class RolloutScaleTest {

    private static final int N = 2_600;

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

    private void registerMany() throws Exception {
        try (Connection c = f.db.connection(); PreparedStatement ps = c.prepareStatement("INSERT INTO devices "
                + "(device_id, owner_user_id, status, registered_at, registered_by) VALUES (?, 'alice', 'active', ?, 'olga')")) {
            c.setAutoCommit(false);
            for (int i = 0; i < N; i++) {
                ps.setString(1, String.format("fleet-%05d", i));
                // ten devices per second: keyset paging must break ties by device ID
                ps.setObject(2, Database.timestamp(f.clock.instant().plusSeconds(i / 10)));
                ps.addBatch();
            }
            ps.executeBatch();
            c.commit();
        }
    }

    @Test
    void thousandsOfTargetsAreCutIntoGroupsWithoutLosingOrRepeatingOne() throws Exception {
        registerMany();
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.groups = percents(1, 10, 100);
        r.order = "random";
        r.seed = 99L;
        RolloutView v = f.create(r);
        assertThat(v.total()).isEqualTo(N);
        assertThat(v.groups()).extracting(RolloutView.Group::size).containsExactly(26L, 234L, 2340L);
        assertThat(f.count("SELECT COUNT(DISTINCT position) FROM rollout_assignments WHERE rollout_id = ?", v.id()))
                .isEqualTo(N);
        assertThat(f.count("SELECT MAX(position) FROM rollout_assignments WHERE rollout_id = ?", v.id())).isEqualTo(N - 1);

        RolloutFixture.Req inOrder = new RolloutFixture.Req();
        inOrder.groups = percents(1, 100);
        RolloutView w = f.create(inOrder);
        assertThat(f.string("SELECT MAX(device_id) FROM rollout_assignments WHERE rollout_id = ? AND group_no = 1",
                w.id())).isEqualTo("fleet-00025");

        f.scheduler.tick();
        assertThat(f.view(v.id()).groups().get(0).status()).isEqualTo("running");
        f.clock.advance(Duration.ofMinutes(31));
        f.scheduler.tick();
        RolloutView timedOut = f.view(v.id());
        assertThat(timedOut.counts()).containsEntry("timed-out", 26L);
        assertThat(f.rollouts.devices(v.id(), "timed-out", 1, 10).total()).isEqualTo(26);
    }
}
