package dev.progdist.processors.rollout;

import static dev.progdist.processors.rollout.RolloutFixture.filter;
import static dev.progdist.processors.rollout.RolloutFixture.percents;
import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.testing.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RolloutSchedulerTest {

    @TempDir
    Path dir;
    RolloutFixture f;

    @BeforeEach
    void open() throws Exception {
        f = fixture();
    }

    /** The H2 file database; the PostgreSQL variant runs the same tests on the production database. */
    RolloutFixture fixture() throws Exception {
        return new RolloutFixture(dir, null);
    }

    @AfterEach
    void close() throws Exception {
        f.close();
    }

    private String groupStatus(String id, int group) {
        return f.view(id).groups().get(group - 1).status();
    }

    @Test
    void theSuccessThresholdStartsTheNextGroupAndTheRolloutFinishes() {
        List<String> ids = f.devices("d", 10);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.groups = percents(20, 100);
        r.success = 50;
        RolloutView v = f.create(r);
        assertThat(v.status()).isEqualTo("running");
        f.scheduler.tick();
        assertThat(groupStatus(v.id(), 1)).isEqualTo("running");
        assertThat(f.rollouts.checkIn("alice", ids.get(5))).as("group 2 not started").isEmpty();
        assertThat(f.deliver(ids.get(0), true, null)).isTrue();
        f.scheduler.tick();
        // 1 of 2 installed = 50%: group 2 starts while group 1 still runs
        assertThat(groupStatus(v.id(), 1)).isEqualTo("running");
        assertThat(groupStatus(v.id(), 2)).isEqualTo("running");
        for (String id : ids.subList(1, 10)) {
            assertThat(f.deliver(id, true, null)).as(id).isTrue();
        }
        f.scheduler.tick();
        RolloutView done = f.view(v.id());
        assertThat(done.status()).isEqualTo("finished");
        assertThat(done.groups()).extracting(RolloutView.Group::status).containsExactly("finished", "finished");
        assertThat(done.counts()).containsEntry("installed", 10L);
        assertThat(done.endedAt()).isEqualTo(f.clock.instant());
    }

    @Test
    void onSuccessPauseWaitsForTheOperatorThenResumeStartsTheNextGroup() {
        List<String> ids = f.devices("d", 4);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.groups = percents(50, 100);
        r.onSuccess = "pause";
        r.success = 100;
        RolloutView v = f.create(r);
        f.scheduler.tick();
        f.deliver(ids.get(0), true, null);
        f.deliver(ids.get(1), true, null);
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("paused");
        assertThat(f.view(v.id()).reason()).isEqualTo("success-threshold");
        f.scheduler.tick();
        assertThat(groupStatus(v.id(), 2)).isEqualTo("scheduled");
        f.rollouts.resume(v.id(), "olga");
        f.scheduler.tick();
        assertThat(groupStatus(v.id(), 1)).isEqualTo("finished");
        assertThat(groupStatus(v.id(), 2)).isEqualTo("running");
    }

    @Test
    void theErrorThresholdPausesAndResumeAcknowledgesTheErrorsSoFar() {
        List<String> ids = f.devices("d", 10);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.error = "20%";
        RolloutView v = f.create(r);
        f.scheduler.tick();
        f.deliver(ids.get(0), false, "trp-storage-full");
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).as("1 of 10 is below 20%").isEqualTo("running");
        f.deliver(ids.get(1), false, "trp-install-failed");
        f.scheduler.tick();
        RolloutView paused = f.view(v.id());
        assertThat(paused.status()).isEqualTo("paused");
        assertThat(paused.reason()).isEqualTo("error-threshold");
        assertThat(paused.groups().get(0).status()).isEqualTo("paused");
        assertThat(f.rollouts.checkIn("alice", ids.get(2))).as("no offers while paused").isEmpty();
        f.rollouts.resume(v.id(), "olga");
        f.deliver(ids.get(2), false, "trp-storage-full");
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).as("1 new error after the resume").isEqualTo("running");
        assertThat(f.view(v.id()).securityFailures()).isZero();
    }

    @Test
    void aCountErrorThresholdPausesAtThatManyFailures() {
        List<String> ids = f.devices("d", 10);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.error = "2";
        RolloutView v = f.create(r);
        f.scheduler.tick();
        f.deliver(ids.get(0), false, "trp-storage-full");
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("running");
        f.deliver(ids.get(1), false, "server-lost");
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("paused");
    }

    @Test
    void aGroupThatEndsBelowItsSuccessThresholdPausesTheRollout() {
        List<String> ids = f.devices("d", 4);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.groups = percents(50, 100);
        r.success = 100;
        r.error = "100%";
        RolloutView v = f.create(r);
        f.scheduler.tick();
        f.deliver(ids.get(0), true, null);
        f.deliver(ids.get(1), false, "trp-storage-full");
        f.scheduler.tick();
        RolloutView paused = f.view(v.id());
        assertThat(paused.status()).isEqualTo("paused");
        assertThat(paused.reason()).isEqualTo("success-threshold-not-met");
        assertThat(paused.groups().get(0).status()).isEqualTo("finished");
        f.rollouts.resume(v.id(), "olga");
        f.scheduler.tick();
        assertThat(groupStatus(v.id(), 2)).isEqualTo("running");
    }

    @Test
    void theSecurityThresholdStopsTheWholeRolloutAtOnceWithAnAlert() {
        List<String> ids = f.devices("d", 6);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.security = 1;
        r.error = "100%";
        RolloutView v = f.create(r);
        f.scheduler.tick();
        String inFlight = f.startDelivery(ids.get(1));
        assertThat(f.rollouts.checkIn("alice", ids.get(2))).isPresent();
        f.drainEvents();
        f.deliver(ids.get(0), false, "receipt-invalid");
        RolloutView stopping = f.view(v.id());
        assertThat(stopping.status()).as("a delivery is still in progress").isEqualTo("stopping");
        assertThat(stopping.reason()).isEqualTo("security-threshold");
        assertThat(stopping.securityFailures()).isEqualTo(1);
        assertThat(stopping.counts()).containsEntry("failed", 1L).containsEntry("cancelled", 4L)
                .containsEntry("delivering", 1L);
        assertThat(f.reason(v.id(), ids.get(2))).isEqualTo("rollout-stopped");
        assertThat(f.deliveries.stillWanted(inFlight)).isFalse();
        List<String> events = f.drainEvents();
        assertThat(events).anyMatch(e -> e.contains("\"type\":\"alert\"") && e.contains("\"to\":\"stopped\"")
                && e.contains("\"reason\":\"security-threshold\""));
        // the delivery in progress ends at its next window: transmit fails it with rollout-stopped
        f.finish(inFlight, false, "rollout-stopped");
        RolloutView stopped = f.view(v.id());
        assertThat(stopped.status()).isEqualTo("stopped");
        assertThat(stopped.counts()).containsEntry("cancelled", 5L).containsEntry("delivering", 0L);
        assertThat(stopped.groups().get(0).status()).isEqualTo("stopped");
    }

    @Test
    void securityFailuresNeverCountTowardTheErrorThresholdAndAreNotRetried() {
        List<String> ids = f.devices("d", 4);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.security = 3;
        r.error = "0";
        r.retries = 2;
        RolloutView v = f.create(r);
        f.scheduler.tick();
        f.deliver(ids.get(0), false, "cert-revoked");
        f.deliver(ids.get(1), false, "trp-envelope-authentication-failed");
        f.scheduler.tick();
        RolloutView view = f.view(v.id());
        assertThat(view.status()).isEqualTo("running");
        assertThat(view.securityFailures()).isEqualTo(2);
        assertThat(f.state(v.id(), ids.get(0))).isEqualTo("failed");
        f.deliver(ids.get(2), false, "trp-program-digest-mismatch");
        assertThat(f.view(v.id()).status()).isEqualTo("stopped");
    }

    @Test
    void aDeviceThatNeverAnswersTimesOut() {
        List<String> ids = f.devices("d", 3);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.timeout = "10m";
        r.error = "100%";
        RolloutView v = f.create(r);
        f.scheduler.tick();
        String silent = f.startDelivery(ids.get(0));
        assertThat(f.rollouts.checkIn("alice", ids.get(1))).isPresent();
        f.deliver(ids.get(2), true, null);
        f.clock.advance(Duration.ofMinutes(9));
        f.scheduler.tick();
        assertThat(f.state(v.id(), ids.get(0))).isEqualTo("delivering");
        f.clock.advance(Duration.ofMinutes(2));
        f.scheduler.tick();
        assertThat(f.state(v.id(), ids.get(0))).isEqualTo("timed-out");
        assertThat(f.reason(v.id(), ids.get(0))).isEqualTo("timed-out");
        assertThat(f.state(v.id(), ids.get(1))).as("offered but never fetched").isEqualTo("timed-out");
        assertThat(f.deliveries.stillWanted(silent)).isFalse();
        // a receipt that arrives after the timeout no longer counts
        f.finish(silent, true, null);
        assertThat(f.state(v.id(), ids.get(0))).isEqualTo("timed-out");
        f.scheduler.tick();
        RolloutView end = f.view(v.id());
        assertThat(end.counts()).containsEntry("timed-out", 2L).containsEntry("installed", 1L);
        assertThat(end.status()).isEqualTo("paused");
        assertThat(end.reason()).isEqualTo("success-threshold-not-met");
    }

    @Test
    void retriesBackOffExponentiallyAndOnlyTheFinalOutcomeCounts() {
        List<String> ids = f.devices("d", 2);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.retries = 2;
        r.backoff = "1m";
        r.error = "1";
        RolloutView v = f.create(r);
        f.scheduler.tick();
        String device = ids.get(0);
        f.deliver(device, false, "trp-storage-full");
        f.scheduler.tick();
        assertThat(f.state(v.id(), device)).isEqualTo("scheduled");
        assertThat(f.view(v.id()).status()).as("a failure with retries left does not count").isEqualTo("running");
        assertThat(f.rollouts.checkIn("alice", device)).as("backing off").isEmpty();
        f.clock.advance(Duration.ofSeconds(61));
        assertThat(f.deliver(device, false, "trp-storage-full")).isTrue();
        f.clock.advance(Duration.ofSeconds(61));
        assertThat(f.rollouts.checkIn("alice", device)).as("the second back-off is twice as long").isEmpty();
        f.clock.advance(Duration.ofSeconds(60));
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("running");
        assertThat(f.deliver(device, false, "trp-storage-full")).isTrue();
        assertThat(f.state(v.id(), device)).isEqualTo("failed");
        assertThat(f.string("SELECT attempts FROM rollout_assignments WHERE rollout_id = ? AND device_id = ?", v.id(),
                device)).isEqualTo("3");
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("paused");
        assertThat(f.view(v.id()).reason()).isEqualTo("error-threshold");
        List<String> events = f.drainEvents();
        assertThat(events.stream().filter(e -> e.contains("\"deviceId\":\"" + device + "\"")
                && e.contains("\"reason\":\"retry\"")).count()).isEqualTo(2);
    }

    @Test
    void retriesThenSuccessCountsInstalled() {
        List<String> ids = f.devices("d", 1);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.retries = 1;
        r.backoff = "10s";
        r.error = "0";
        RolloutView v = f.create(r);
        f.scheduler.tick();
        f.deliver(ids.get(0), false, "trp-install-failed");
        f.scheduler.tick();
        f.clock.advance(Duration.ofSeconds(11));
        assertThat(f.deliver(ids.get(0), true, null)).isTrue();
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("finished");
        assertThat(f.view(v.id()).counts()).containsEntry("installed", 1L).containsEntry("failed", 0L);
    }

    @Test
    void noGroupStartsAndNoOfferIsGivenOutsideTheWindow() {
        MutableClock clock = f.clock; // 10:00 UTC
        List<String> ids = f.devices("d", 4);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.window = "22:00-02:00";
        r.zone = "UTC";
        r.groups = percents(50, 100);
        RolloutView v = f.create(r);
        f.scheduler.tick();
        assertThat(groupStatus(v.id(), 1)).isEqualTo("scheduled");
        clock.advance(Duration.ofHours(12)); // 22:00
        f.scheduler.tick();
        assertThat(groupStatus(v.id(), 1)).isEqualTo("running");
        assertThat(f.rollouts.checkIn("alice", ids.get(0))).isPresent();
        clock.advance(Duration.ofHours(4)); // 02:00: closed (end exclusive)
        assertThat(f.rollouts.checkIn("alice", ids.get(1))).isEmpty();
        String id = f.ledger.open("s", "alice", ids.get(0), RolloutFixture.PROGRAM, RolloutFixture.VERSION, null);
        assertThat(f.deliveries.claim(ids.get(0), RolloutFixture.PROGRAM, RolloutFixture.VERSION, id)).isEmpty();
        clock.advance(Duration.ofHours(20).plusMinutes(30)); // 22:30
        f.deliver(ids.get(0), true, null);
        f.deliver(ids.get(1), true, null);
        clock.advance(Duration.ofHours(4)); // 02:30
        f.scheduler.tick();
        assertThat(groupStatus(v.id(), 1)).isEqualTo("finished");
        assertThat(groupStatus(v.id(), 2)).as("closed window").isEqualTo("scheduled");
        clock.advance(Duration.ofHours(20)); // 22:30
        f.scheduler.tick();
        assertThat(groupStatus(v.id(), 2)).isEqualTo("running");
    }

    @Test
    void windowsInAZoneAndAcrossMidnight() {
        MaintenanceWindow w = MaintenanceWindow.parse("22:00-04:00", "Europe/Berlin");
        assertThat(w.contains(Instant.parse("2026-03-02T21:30:00Z"))).isTrue(); // 22:30 CET
        assertThat(w.contains(Instant.parse("2026-03-02T02:59:00Z"))).isTrue(); // 03:59 CET
        assertThat(w.contains(Instant.parse("2026-03-02T03:00:00Z"))).isFalse(); // 04:00 CET
        assertThat(w.contains(Instant.parse("2026-03-02T12:00:00Z"))).isFalse();
        MaintenanceWindow day = MaintenanceWindow.parse("09:00-17:00", null);
        assertThat(day.contains(Instant.parse("2026-03-02T09:00:00Z"))).isTrue();
        assertThat(day.contains(Instant.parse("2026-03-02T17:00:00Z"))).isFalse();
    }

    @Test
    void aScheduledRolloutStartsAtItsStartTime() {
        List<String> ids = f.devices("d", 1);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.startAt = f.clock.instant().plus(Duration.ofHours(2)).toString();
        RolloutView v = f.create(r);
        assertThat(v.status()).isEqualTo("scheduled");
        f.scheduler.tick();
        assertThat(f.rollouts.checkIn("alice", ids.get(0))).isEmpty();
        f.clock.advance(Duration.ofHours(2));
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("running");
        assertThat(f.view(v.id()).startedAt()).isEqualTo(f.clock.instant());
        assertThat(f.rollouts.checkIn("alice", ids.get(0))).isPresent();
    }

    @Test
    void aDeviceRegisteredLaterJoinsADynamicRollout() {
        f.devices("d", 2);
        f.tag("d-001", "beta");
        f.tag("d-002", "beta");
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.targets = filter("tag=beta");
        r.dynamic = true;
        RolloutView v = f.create(r);
        f.scheduler.tick();
        f.deliver("d-001", true, null);
        f.deliver("d-002", true, null);
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).as("dynamic: it waits for more").isEqualTo("running");
        f.registry.register("late-1", "alice", "olga");
        f.registry.register("late-2", "alice", "olga");
        f.tag("late-1", "beta");
        f.user("bob", dev.progdist.processors.auth.Role.USER);
        f.registry.register("late-bob", "bob", "olga");
        f.tag("late-bob", "beta");
        f.scheduler.tick();
        RolloutView joined = f.view(v.id());
        assertThat(joined.groups()).hasSize(2);
        assertThat(joined.groups().get(1).selector()).isEqualTo("dynamic");
        assertThat(joined.groups().get(1).size()).isEqualTo(2);
        assertThat(f.reason(v.id(), "late-bob")).as("its owner was never granted the program").isEqualTo("not-entitled");
        f.scheduler.tick();
        assertThat(f.deliver("late-1", true, null)).isTrue();
        assertThat(f.rollouts.checkIn("alice", "late-2")).as("not tagged").isEmpty();
        f.scheduler.tick();
        assertThat(f.view(v.id()).counts()).containsEntry("installed", 3L);
        assertThat(f.rollouts.stop(v.id(), "olga").status()).isEqualTo("stopped");
    }

    @Test
    void stopCancelsWhatHasNotStartedAndWaitsForTheDeliveryInProgress() {
        List<String> ids = f.devices("d", 4);
        RolloutView v = f.create(new RolloutFixture.Req());
        f.scheduler.tick();
        String running = f.startDelivery(ids.get(0));
        f.rollouts.checkIn("alice", ids.get(1));
        RolloutView stopping = f.rollouts.stop(v.id(), "olga");
        assertThat(stopping.status()).isEqualTo("stopping");
        assertThat(stopping.counts()).containsEntry("cancelled", 3L).containsEntry("delivering", 1L);
        assertThat(f.rollouts.checkIn("alice", ids.get(1))).isEmpty();
        assertThat(f.deliveries.stillWanted(running)).isFalse();
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("stopping");
        f.finish(running, false, "rollout-stopped");
        f.scheduler.tick();
        RolloutView stopped = f.view(v.id());
        assertThat(stopped.status()).isEqualTo("stopped");
        assertThat(stopped.reason()).isEqualTo("stopped-by-operator");
        assertThat(f.reason(v.id(), ids.get(0))).isEqualTo("rollout-stopped");
        assertThat(stopped.counts()).containsEntry("cancelled", 4L);
    }

    @Test
    void aRolloutWhoseTickFailsDoesNotHoldUpAnotherAndFailsAfterThreeInARow() {
        f.devices("d", 2);
        RolloutView bad = f.create(new RolloutFixture.Req());
        RolloutView good = f.create(new RolloutFixture.Req());
        f.sql("UPDATE rollouts SET window_start = '01:00', window_end = '02:00', window_zone = 'Mars/Olympus' "
                + "WHERE rollout_id = ?", bad.id());
        f.scheduler.tick();
        assertThat(groupStatus(good.id(), 1)).isEqualTo("running");
        assertThat(f.view(bad.id()).status()).isEqualTo("running");
        f.scheduler.tick();
        f.scheduler.tick();
        RolloutView failed = f.view(bad.id());
        assertThat(failed.status()).isEqualTo("failed");
        assertThat(failed.reason()).isEqualTo("scheduler-error");
        assertThat(f.deliver("d-001", true, null)).isTrue();
        assertThat(f.deliver("d-002", true, null)).isTrue();
        f.scheduler.tick();
        assertThat(f.view(good.id()).status()).isEqualTo("finished");
    }

    @Test
    void aRolloutLockedElsewhereIsSkippedThisTick() throws Exception {
        f.devices("d", 1);
        RolloutView v = f.create(new RolloutFixture.Req());
        try (Connection other = f.db.connection()) {
            other.setAutoCommit(false);
            try (var ps = other.prepareStatement("SELECT rollout_id FROM rollouts WHERE rollout_id = ? FOR UPDATE")) {
                ps.setString(1, v.id());
                assertThat(ps.executeQuery().next()).isTrue();
            }
            assertThat(f.scheduler.tick()).isZero();
            assertThat(groupStatus(v.id(), 1)).isEqualTo("scheduled");
            other.rollback();
        }
        assertThat(f.scheduler.tick()).isEqualTo(1);
        assertThat(groupStatus(v.id(), 1)).isEqualTo("running");
    }

    @Test
    void aDeviceThatAlreadyHoldsTheVersionByAVerifiedReceiptCountsInstalled() {
        List<String> ids = f.devices("d", 2);
        // a verified earlier delivery of exactly this version
        String earlier = f.ledger.open("s0", "alice", ids.get(0), RolloutFixture.PROGRAM, RolloutFixture.VERSION, null);
        f.ledger.sending(earlier, RolloutFixture.VERSION, "wrapped", "a".repeat(64), 1, "n");
        f.ledger.installed(earlier, "b".repeat(64), "c2ln");
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.groups = percents(50, 100);
        RolloutView v = f.create(r);
        f.scheduler.tick();
        assertThat(f.state(v.id(), ids.get(0))).isEqualTo("installed");
        assertThat(f.reason(v.id(), ids.get(0))).isEqualTo("already-installed");
        // a later one found at check-in
        String later = f.ledger.open("s1", "alice", ids.get(1), RolloutFixture.PROGRAM, RolloutFixture.VERSION, null);
        f.ledger.sending(later, RolloutFixture.VERSION, "wrapped", "a".repeat(64), 1, "n");
        f.ledger.installed(later, "b".repeat(64), "c2ln");
        f.scheduler.tick();
        assertThat(f.rollouts.checkIn("alice", ids.get(1))).isEmpty();
        assertThat(f.reason(v.id(), ids.get(1))).isEqualTo("already-installed");
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("finished");
    }

    @Test
    void retryMakesANewRolloutOfTheFailedDevices() {
        List<String> ids = f.devices("d", 3);
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.error = "100%";
        r.success = 1;
        RolloutView v = f.create(r);
        f.scheduler.tick();
        f.deliver(ids.get(0), true, null);
        f.deliver(ids.get(1), false, "trp-storage-full");
        f.deliver(ids.get(2), false, "trp-install-failed");
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("finished");
        RolloutView again = f.rollouts.retry(v.id(), "oscar");
        assertThat(again.retryOf()).isEqualTo(v.id());
        assertThat(again.total()).isEqualTo(2);
        assertThat(again.targets().kind()).isEqualTo("list");
        assertThat(again.settings().successThreshold()).isEqualTo(1);
        assertThat(again.status()).isEqualTo("running");
        assertThat(again.createdBy()).isEqualTo("oscar");
        f.scheduler.tick();
        assertThat(f.deliver(ids.get(1), true, null)).isTrue();
        assertThat(f.state(again.id(), ids.get(0))).isNull();
    }

    @Test
    void devicesAreListedAPageAtATime() {
        f.devices("d", 7);
        RolloutView v = f.create(new RolloutFixture.Req());
        f.scheduler.tick();
        f.deliver("d-003", false, "trp-storage-full");
        DevicePage p0 = f.rollouts.devices(v.id(), null, 1, 3); // pages count from 1
        DevicePage p2 = f.rollouts.devices(v.id(), null, 3, 3);
        assertThat(p0.total()).isEqualTo(7);
        assertThat(p0.devices()).extracting(DevicePage.Device::deviceId).containsExactly("d-001", "d-002", "d-003");
        assertThat(p2.devices()).extracting(DevicePage.Device::deviceId).containsExactly("d-007");
        DevicePage failed = f.rollouts.devices(v.id(), "failed", 1, 50);
        assertThat(failed.total()).isEqualTo(1);
        DevicePage.Device d = failed.devices().get(0);
        assertThat(d.reason()).isEqualTo("trp-storage-full");
        assertThat(d.attempts()).isEqualTo(1);
        assertThat(d.deliveryId()).isNotNull();
        assertThat(d.offeredAt()).isNotNull();
        assertThat(f.rollouts.list(null, 10)).extracting(RolloutSummary::id).containsExactly(v.id());
        assertThat(f.rollouts.list("running", 10).get(0).failed()).isEqualTo(1);
        assertThat(f.rollouts.list("finished", 10)).isEmpty();
    }
}
