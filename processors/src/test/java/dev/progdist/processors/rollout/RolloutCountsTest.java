package dev.progdist.processors.rollout;

import static dev.progdist.processors.rollout.RolloutFixture.percents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.testing.TestDatabases;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-group counts kept on the group rows (migration V8): moved in each state change's
 * transaction, read by the thresholds and the views, and set by V8 for rollouts that existed
 * before it. (Every rollout test's fixture also compares them with a count when it closes.)
 */
class RolloutCountsTest {

    @TempDir
    Path dir;
    RolloutFixture f;

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    /** Devices d-001…d-006: installed, failed (retried, then final), security-failed, excluded, offered, scheduled. */
    private RolloutView mixedRollout() {
        f = new RolloutFixture(dir, null);
        List<String> ids = f.devices("d", 6);
        f.sql("UPDATE devices SET status = 'disabled' WHERE device_id = ?", ids.get(3));
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.groups = percents(50, 100);
        r.success = 10;
        r.error = "100";
        r.security = 5;
        r.retries = 1;
        r.backoff = "PT1S";
        RolloutView v = f.create(r);
        f.scheduler.tick();
        assertThat(f.deliver(ids.get(0), true, null)).isTrue();
        assertThat(f.deliver(ids.get(1), false, "trp-install-refused")).isTrue();
        assertThat(f.deliver(ids.get(2), false, "cert-revoked")).isTrue();
        f.scheduler.tick(); // group 2 starts: group 1 reached its 10 %
        assertThat(f.rollouts.checkIn("alice", ids.get(4))).isPresent();
        f.clock.advance(java.time.Duration.ofSeconds(2));
        assertThat(f.deliver(ids.get(1), false, "trp-install-refused")).isTrue(); // the retry fails too: final
        return v;
    }

    @Test
    void theKeptCountsFollowEveryKindOfStateChange() {
        RolloutView v = mixedRollout();
        RolloutView view = f.view(v.id());
        assertThat(view.counts()).containsEntry("installed", 1L).containsEntry("failed", 2L)
                .containsEntry("excluded", 1L).containsEntry("offered", 1L).containsEntry("scheduled", 1L)
                .containsEntry("delivering", 0L);
        assertThat(view.securityFailures()).isEqualTo(1);
        f.assertKeptCountsMatch();

        f.rollouts.stop(v.id(), "olga"); // set-based: the offered and the scheduled are cancelled
        assertThat(f.view(v.id()).counts()).containsEntry("cancelled", 2L).containsEntry("offered", 0L)
                .containsEntry("scheduled", 0L);
        f.assertKeptCountsMatch();
    }

    @Test
    void theThresholdsReadTheKeptCountsNotACountOfTheAssignments() {
        f = new RolloutFixture(dir, null);
        List<String> ids = f.devices("d", 4);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.error = "1";
        RolloutView v = f.create(r);
        f.scheduler.tick();
        // one failure written behind the engine's back: the assignment row alone
        f.sql("UPDATE rollout_assignments SET state = 'failed', reason_code = 'x' WHERE rollout_id = ? AND device_id = ?",
                v.id(), ids.get(0));
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("running");
        // the same failure through the engine pauses the rollout (error threshold 1)
        assertThat(f.deliver(ids.get(1), false, "trp-install-refused")).isTrue();
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("paused");
        assertThatThrownBy(f::assertKeptCountsMatch).isInstanceOf(AssertionError.class)
                .hasMessageContaining("kept counts");
        // put right, so that closing the fixture finds them equal
        f.sql("UPDATE rollout_assignments SET state = 'scheduled', reason_code = NULL WHERE rollout_id = ? "
                + "AND device_id = ?", v.id(), ids.get(0));
    }

    @Test
    void migrationEightCountsTheRolloutsThatExistedBeforeIt() {
        RolloutView v = mixedRollout();
        // back to schema version 7: the count columns gone, V8 not applied
        for (String s : Engine.STATES) {
            f.sql("ALTER TABLE rollout_groups DROP COLUMN " + Engine.countColumn(s));
        }
        f.sql("ALTER TABLE rollout_groups DROP COLUMN n_security_failed");
        f.sql("DELETE FROM \"flyway_schema_history\" WHERE \"version\" = '8'");
        f.db.close();
        var clock = f.clock;
        f = null;
        // opened again: Flyway applies V8 to the rollout that is there
        try (var db = new AutoCloseableDatabase(TestDatabases.open(dir.resolve("db"), 2))) {
            Engine engine = new Engine(db.db, clock, new Exclusion(null, clock));
            Map<Integer, Engine.Counts> kept = engine.tx(c -> engine.countsByGroup(c, v.id()));
            assertThat(kept).isEqualTo(engine.tx(c -> engine.countedByGroup(c, v.id())));
            assertThat(kept.get(1).get("installed")).isEqualTo(1);
            assertThat(kept.get(1).get("failed")).isEqualTo(2);
            assertThat(kept.get(1).securityFailed()).isEqualTo(1);
            assertThat(kept.get(2).get("excluded")).isEqualTo(1);
            assertThat(kept.get(2).get("offered")).isEqualTo(1);
            assertThat(kept.get(2).get("scheduled")).isEqualTo(1);
        }
    }

    private record AutoCloseableDatabase(dev.progdist.processors.store.Database db) implements AutoCloseable {
        @Override
        public void close() {
            db.close();
        }
    }
}
