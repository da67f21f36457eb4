package dev.progdist.processors.rollout;

import dev.progdist.processors.pki.CertificateValidation;
import dev.progdist.processors.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives rollouts forward; the scheduler route calls {@link #tick()} on a timer. Each rollout is worked in its own short transaction after
 * {@code SELECT … FOR UPDATE SKIP LOCKED} on its row, so several server instances share the work
 * with no leader: a rollout another instance is working on is skipped this tick. A failure in one
 * rollout is caught, logged and counted ({@code scheduler_errors}); after
 * {@link RolloutSettings#maxSchedulerErrors()} in a row the rollout fails with
 * {@code scheduler-error}. No other rollout is ever held up.
 *
 * <p>A tick of one rollout: a scheduled one whose start-at passed runs; timeouts (and the retry
 * rule); dynamic joining; the thresholds of its running groups (security → stop with an alert,
 * error → pause, success → next group or pause, a group all final → finished); the next group
 * when due and the window is open; finished when all groups are; stopping → stopped when nothing
 * is delivering.
 */
public final class RolloutScheduler {

    private static final Logger LOG = LoggerFactory.getLogger(RolloutScheduler.class);

    /** Most rollouts looked at per tick. */
    static final int MAX_ROLLOUTS = 1000;
    /** Most assignments timed out per rollout per tick (the rest the next tick). */
    static final int MAX_TIMEOUTS = 5000;
    /** Most devices joining a dynamic rollout per tick, as one new group. */
    static final int MAX_JOINING = 10_000;
    /** A rollout still {@code creating} this long after its last change lost its creator. */
    static final Duration CREATION_LEASE = Duration.ofMinutes(2);

    private final Engine engine;
    private final RolloutSettings settings;
    private final Clock clock;
    private volatile Observer observer = Observer.NONE;

    /** Told when this scheduler holds a rollout's lock and when it let go (tests watch for overlap). */
    interface Observer {
        Observer NONE = new Observer() {
        };

        default void entered(String rolloutId) {
        }

        default void left(String rolloutId) {
        }
    }

    void observe(Observer o) {
        this.observer = o;
    }

    /**
     * The heartbeat of server instances and the failing of a lost instance's deliveries are not
     * the scheduler's: {@code ServerInstances} and {@code DeliveryLedger.failLost} do them, for
     * rollouts and single deliveries alike.
     *
     * @param validation the server's device certificate validation, for the exclusion re-check at group start
     */
    public RolloutScheduler(Database database, Clock clock, RolloutSettings settings, CertificateValidation validation) {
        this.engine = new Engine(database, clock, new Exclusion(validation, clock));
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * Works every active rollout once.
     *
     * @return how many rollouts were worked (those locked elsewhere are not counted)
     */
    public int tick() {
        List<String> ids = engine.tx(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT rollout_id FROM rollouts WHERE status IN "
                    + "('creating', 'scheduled', 'running', 'paused', 'stopping') ORDER BY updated_at "
                    + "FETCH FIRST " + MAX_ROLLOUTS + " ROWS ONLY")) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            }
            return out;
        });
        int worked = 0;
        for (String id : ids) {
            try {
                if (engine.tx(c -> work(c, id))) {
                    worked++;
                }
            } catch (RuntimeException e) {
                LOG.warn("Rollout scheduler failed on rollout {}", id, e);
                schedulerError(id, e);
            }
        }
        return worked;
    }

    private void schedulerError(String id, RuntimeException failure) {
        try {
            engine.tx(c -> {
                RolloutRow r = engine.lockOrSkip(c, id);
                if (r == null || r.isFinal()) {
                    return null;
                }
                int errors = r.schedulerErrors() + 1;
                Engine.update(c, "UPDATE rollouts SET scheduler_errors = ? WHERE rollout_id = ?", errors, id);
                if (errors >= settings.maxSchedulerErrors()) {
                    String detail = errors + " scheduler failures in a row, the last: " + failure;
                    engine.status(c, r, "failed", "scheduler-error", detail);
                }
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warn("Cannot record the scheduler failure of rollout {}", id, e);
        }
    }

    /** One rollout, in its locked transaction; false if another instance holds it. */
    private boolean work(Connection c, String id) throws SQLException {
        RolloutRow r = engine.lockOrSkip(c, id);
        if (r == null) {
            return false;
        }
        observer.entered(id);
        try {
            work(c, id, r);
        } finally {
            observer.left(id); // before the commit or rollback that releases the lock
        }
        return true;
    }

    private void work(Connection c, String id, RolloutRow locked) throws SQLException {
        RolloutRow r = locked;
        Instant now = engine.now();
        switch (r.status()) {
            case "creating" -> {
                if (r.updatedAt().plus(CREATION_LEASE).isBefore(now)) {
                    engine.status(c, r, "failed", "creation-failed", "the creation was interrupted (the server "
                            + "creating it stopped)");
                }
                return;
            }
            case "scheduled" -> {
                if (r.startAt() == null || !now.isBefore(r.startAt())) {
                    engine.status(c, r, "running", null, null);
                    r = engine.read(c, id);
                }
            }
            default -> {
            }
        }
        if (r.status().equals("running") || r.status().equals("paused") || r.status().equals("stopping")) {
            timeouts(c, r);
            r = engine.read(c, id);
        }
        if (r.status().equals("running") && r.dynamic()) {
            join(c, r);
        }
        if (r.status().equals("running") || r.status().equals("paused")) {
            if (r.securityFailures() >= r.securityThreshold()) {
                engine.stop(c, r, "security-threshold", r.securityFailures() + " security failure(s), threshold "
                        + r.securityThreshold(), true);
            }
            r = engine.read(c, id);
        }
        if (r.status().equals("running")) {
            thresholds(c, r);
            r = engine.read(c, id);
        }
        if (r.status().equals("running")) {
            nextGroup(c, r);
            r = engine.read(c, id);
        }
        if (r.status().equals("running") && !r.dynamic()) {
            long open = Engine.count(c, "SELECT COUNT(*) FROM rollout_groups WHERE rollout_id = ? AND status IN "
                    + "('scheduled', 'running', 'paused')", id);
            if (open == 0) {
                engine.status(c, r, "finished", null, null);
                r = engine.read(c, id);
            }
        }
        if (r.status().equals("stopping")) {
            engine.finishStopping(c, r);
        }
        if (r.schedulerErrors() > 0) {
            Engine.update(c, "UPDATE rollouts SET scheduler_errors = 0 WHERE rollout_id = ?", id);
        }
    }

    /**
     * Assignments past their deadline: timed out, then the retry rule. One state at a time, each a
     * range of the index {@code (rollout_id, state, deadline_at)}, so a tick reads the expired
     * assignments only, not all the rollout's (measured before: 10,001 rows read per tick for a
     * 10,000-device rollout, about 10 ms). Not yet started ones count only in running groups.
     */
    private void timeouts(Connection c, RolloutRow r) throws SQLException {
        int done = 0;
        for (String state : List.of("delivering", "offered", "scheduled")) {
            String running = state.equals("delivering") ? "" : " AND a.group_no IN (SELECT g.group_no FROM "
                    + "rollout_groups g WHERE g.rollout_id = a.rollout_id AND g.status = 'running')";
            while (done < MAX_TIMEOUTS) {
                List<Object[]> page = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT a.device_id, a.group_no, a.attempts FROM "
                        + "rollout_assignments a WHERE a.rollout_id = ? AND a.state = ? AND a.deadline_at < ?" + running
                        + " ORDER BY a.deadline_at, a.device_id FETCH FIRST " + Engine.PAGE + " ROWS ONLY")) {
                    ps.setString(1, r.id());
                    ps.setString(2, state);
                    ps.setObject(3, engine.ts());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            page.add(new Object[] {rs.getString(1), rs.getInt(2), rs.getInt(3)});
                        }
                    }
                }
                for (Object[] a : page) {
                    int attempts = (Integer) a[2];
                    // an assignment that never started used up an attempt too, or an offline device would retry forever
                    int used = state.equals("delivering") ? attempts : attempts + 1;
                    engine.failed(c, r, (String) a[0], (Integer) a[1], state, used, "timed-out", "timed-out",
                            "no verified outcome within " + r.timeout(), false);
                }
                done += page.size();
                if (page.size() < Engine.PAGE) {
                    break;
                }
            }
        }
    }

    /** Thresholds of each running group; stops at the first that pauses the rollout. */
    private void thresholds(Connection c, RolloutRow r) throws SQLException {
        Map<Integer, Engine.Counts> counts = engine.countsByGroup(c, r.id());
        List<Object[]> running = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT group_no, success_threshold, error_threshold, "
                + "error_threshold_kind, error_baseline, next_triggered FROM rollout_groups WHERE rollout_id = ? "
                + "AND status = 'running' ORDER BY group_no")) {
            ps.setString(1, r.id());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    running.add(new Object[] {rs.getInt(1), rs.getInt(2), rs.getInt(3), rs.getString(4), rs.getInt(5),
                            rs.getBoolean(6)});
                }
            }
        }
        for (Object[] g : running) {
            int groupNo = (Integer) g[0];
            int success = (Integer) g[1];
            int errorThreshold = (Integer) g[2];
            boolean percent = "percent".equals(g[3]);
            int baseline = (Integer) g[4];
            boolean triggered = (Boolean) g[5];
            Engine.Counts n = counts.getOrDefault(groupNo, new Engine.Counts(Engine.emptyCounts(), 0));
            long eligible = n.total() - n.get("excluded");
            long errors = n.errors() - baseline;
            if (errors > 0 && (percent ? errors * 100 >= (long) errorThreshold * eligible : errors >= errorThreshold)) {
                engine.pause(c, r, "error-threshold", "group " + groupNo + ": " + errors + " of " + eligible
                        + " devices failed (threshold " + errorThreshold + (percent ? "%" : "") + ")");
                return;
            }
            if (!triggered && n.get("installed") * 100 >= (long) success * eligible) {
                triggered = true;
                Engine.update(c, "UPDATE rollout_groups SET next_triggered = TRUE WHERE rollout_id = ? AND group_no = ?",
                        r.id(), groupNo);
                if ("pause".equals(r.onSuccess())) {
                    engine.pause(c, r, "success-threshold", "group " + groupNo + " reached " + success
                            + "% installed");
                    return;
                }
            }
            if (n.finals() == n.total()) {
                engine.group(c, r.id(), groupNo, "running", "finished", null);
                if (!triggered) {
                    engine.pause(c, engine.read(c, r.id()), "success-threshold-not-met", "group " + groupNo
                            + " finished with " + n.get("installed") + " of " + eligible + " installed (threshold "
                            + success + "%)");
                    return;
                }
            }
        }
    }

    /** The next scheduled group starts when none runs or the last started one reached its success threshold. */
    private void nextGroup(Connection c, RolloutRow r) throws SQLException {
        if (!MaintenanceWindow.isOpen(r.window(), engine.now())) {
            return;
        }
        long next = Engine.count(c, "SELECT MIN(group_no) FROM rollout_groups WHERE rollout_id = ? "
                + "AND status = 'scheduled'", r.id());
        if (next == 0) {
            return;
        }
        long running = Engine.count(c, "SELECT COUNT(*) FROM rollout_groups WHERE rollout_id = ? AND status = 'running'",
                r.id());
        boolean due = running == 0 || Engine.count(c, "SELECT COUNT(*) FROM rollout_groups WHERE rollout_id = ? "
                + "AND group_no = (SELECT MAX(group_no) FROM rollout_groups WHERE rollout_id = ? AND status <> 'scheduled') "
                + "AND next_triggered = TRUE", r.id(), r.id()) > 0;
        if (due) {
            engine.startGroup(c, r, (int) next);
        }
    }

    /** Devices matching a dynamic rollout's filter that it does not hold yet join as a new group. */
    private void join(Connection c, RolloutRow r) throws SQLException {
        List<Object> params = new ArrayList<>();
        String where = (r.targetFilter() == null ? "1 = 1" : TargetFilter.parse(r.targetFilter()).where(params))
                + " AND NOT EXISTS (SELECT 1 FROM rollout_assignments x WHERE x.rollout_id = ? AND x.device_id = d.device_id)";
        params.add(r.id());
        if (Engine.count(c, "SELECT COUNT(*) FROM devices d WHERE " + where, params.toArray()) == 0) {
            return;
        }
        int groupNo = (int) Engine.count(c, "SELECT COALESCE(MAX(group_no), 0) FROM rollout_groups WHERE rollout_id = ?",
                r.id()) + 1;
        long[] position = {Engine.count(c, "SELECT COALESCE(MAX(position), -1) FROM rollout_assignments "
                + "WHERE rollout_id = ?", r.id()) + 1};
        Engine.update(c, "INSERT INTO rollout_groups (rollout_id, group_no, status, selector, success_threshold, "
                + "error_threshold, error_threshold_kind) VALUES (?, ?, 'scheduled', 'dynamic', ?, ?, ?)",
                r.id(), groupNo, r.successThreshold(), r.errorThreshold(), r.errorKind());
        engine.events.group(c, r.id(), groupNo, null, "scheduled", "dynamic");
        int[] joined = {0};
        Map<String, Boolean> entitledOwners = new java.util.HashMap<>();
        Targets.pages(c, where, params, Engine.PAGE, page -> {
            List<Object[]> excluded = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO rollout_assignments (rollout_id, device_id, "
                    + "group_no, position, state, reason_code, reason_detail, finished_at, updated_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (Targets.Target t : page) {
                    Exclusion.Reason why = engine.exclusion.check(t.deviceId(), t.status(), t.certificatePem(),
                            t.notAfter());
                    if (why == null && !entitledOwners.computeIfAbsent(t.owner(), o -> entitled(c, o, r.programId()))) {
                        why = new Exclusion.Reason("not-entitled", "owner " + t.owner() + " of device " + t.deviceId()
                                + " is not granted program " + r.programId());
                    }
                    ps.setString(1, r.id());
                    ps.setString(2, t.deviceId());
                    ps.setInt(3, groupNo);
                    ps.setLong(4, position[0]++);
                    ps.setString(5, why == null ? "scheduled" : "excluded");
                    ps.setString(6, why == null ? null : Database.cut(why.code(), 64));
                    ps.setString(7, why == null ? null : Database.cut(why.detail(), 1000));
                    ps.setObject(8, why == null ? null : engine.ts());
                    ps.setObject(9, engine.ts());
                    ps.addBatch();
                    if (why != null) {
                        excluded.add(new Object[] {t.deviceId(), why.code()});
                    }
                }
                ps.executeBatch();
            }
            for (Object[] e : excluded) {
                engine.events.assignment(c, r.id(), groupNo, (String) e[0], null, "excluded", (String) e[1]);
            }
            joined[0] += page.size();
            return joined[0] < MAX_JOINING;
        });
        engine.recount(c, r.id());
        LOG.info("Rollout {}: {} device(s) joined as group {}", r.id(), joined[0], groupNo);
    }

    private static boolean entitled(Connection c, String owner, String programId) {
        try {
            return Engine.count(c, "SELECT COUNT(*) FROM entitlements WHERE user_id = ? AND program_id = ?", owner,
                    programId) > 0;
        } catch (SQLException e) {
            throw new dev.progdist.processors.store.StoreException("cannot read entitlements", e);
        }
    }
}
