package dev.progdist.processors.rollout;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state changes that the service, the scheduler and the delivery link share. Every method
 * works on the caller's connection, inside its transaction, with the rollout row already locked
 * (lock order: delivery ledger row, then rollout row, then its groups and assignments), and writes
 * the event of each change it makes. Assignments are changed with set-based SQL or in bounded
 * pages, never loaded as a whole.
 */
final class Engine {

    /** Assignment states, in the order the views list them. */
    static final List<String> STATES = List.of("scheduled", "offered", "delivering", "installed", "failed",
            "timed-out", "excluded", "cancelled");
    static final String FINAL_ASSIGNMENT = "('installed', 'failed', 'timed-out', 'excluded', 'cancelled')";
    static final int PAGE = 500;

    /** A ledger row {@code v} that is a verified install of a program ({@code ?}) and version ({@code ?}). */
    private static final String VERIFIED_INSTALL = "v.program_id = ? AND v.version = ? AND v.outcome = 'installed' "
            + "AND v.receipt_signature IS NOT NULL";
    /** A verified install of the rollout's program version on the assignment's device (alias {@code a}, rollout {@code r}). */
    static final String ALREADY_INSTALLED = "EXISTS (SELECT 1 FROM deliveries v WHERE v.device_id = a.device_id AND "
            + VERIFIED_INSTALL + ")";

    final Database database;
    final Clock clock;
    final RolloutEvents events;
    final Exclusion exclusion;

    Engine(Database database, Clock clock, Exclusion exclusion) {
        this.database = database;
        this.clock = clock;
        this.events = new RolloutEvents(database, clock);
        this.exclusion = exclusion;
    }

    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    <T> T tx(Work<T> work) {
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                try {
                    c.rollback();
                } catch (SQLException rollbackFailed) {
                    e.addSuppressed(rollbackFailed);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("rollout store failure", e);
        }
    }

    Instant now() {
        return clock.instant();
    }

    OffsetDateTime ts() {
        return Database.timestamp(clock.instant());
    }

    RolloutRow read(Connection c, String id) throws SQLException {
        return select(c, id, "");
    }

    /** Locks the rollout row, waiting for another holder. */
    RolloutRow lock(Connection c, String id) throws SQLException {
        return select(c, id, " FOR UPDATE");
    }

    /** Locks the rollout row, or null at once when another transaction holds it. */
    RolloutRow lockOrSkip(Connection c, String id) throws SQLException {
        return select(c, id, " FOR UPDATE SKIP LOCKED");
    }

    private RolloutRow select(Connection c, String id, String suffix) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + RolloutRow.COLUMNS
                + " FROM rollouts WHERE rollout_id = ?" + suffix)) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? RolloutRow.read(rs) : null;
            }
        }
    }

    static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            return ps.executeUpdate();
        }
    }

    static long count(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    // ---- the rollout ---------------------------------------------------------------------------

    /** Moves the rollout to {@code to} with a reason (null clears it), stamping start and end. */
    void status(Connection c, RolloutRow r, String to, String reasonCode, String reasonDetail) throws SQLException {
        OffsetDateTime now = ts();
        boolean ends = RolloutRow.FINAL.contains(to);
        update(c, "UPDATE rollouts SET status = ?, reason_code = ?, reason_detail = ?, updated_at = ?, "
                + "started_at = CASE WHEN ? AND started_at IS NULL THEN ? ELSE started_at END, "
                + "ended_at = CASE WHEN ? THEN ? ELSE ended_at END WHERE rollout_id = ?",
                to, reasonCode, Database.cut(reasonDetail, 1000), now, "running".equals(to), now, ends, now, r.id());
        events.rollout(c, r.id(), r.status(), to, reasonCode);
    }

    /** Every group of the rollout in {@code from} moves to {@code to}. */
    void groups(Connection c, String id, String from, String to, String reason) throws SQLException {
        List<Integer> numbers = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT group_no FROM rollout_groups WHERE rollout_id = ? AND status = ? ORDER BY group_no")) {
            ps.setString(1, id);
            ps.setString(2, from);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    numbers.add(rs.getInt(1));
                }
            }
        }
        for (int g : numbers) {
            group(c, id, g, from, to, reason);
        }
    }

    void group(Connection c, String id, int groupNo, String from, String to, String reason) throws SQLException {
        boolean ends = "finished".equals(to) || "stopped".equals(to);
        OffsetDateTime now = ts();
        int n = update(c, "UPDATE rollout_groups SET status = ?, "
                + "started_at = CASE WHEN ? AND started_at IS NULL THEN ? ELSE started_at END, "
                + "ended_at = CASE WHEN ? THEN ? ELSE ended_at END WHERE rollout_id = ? AND group_no = ? AND status = ?",
                to, "running".equals(to), now, ends, now, id, groupNo, from);
        if (n == 1) {
            events.group(c, id, groupNo, from, to, reason);
        }
    }

    /**
     * Stop: what has not started is cancelled ({@code rollout-stopped}), groups stop, the rollout
     * is {@code stopping} until no delivery of it is in progress, then {@code stopped}. With
     * {@code alert} (the security threshold) an alert event goes out as well.
     */
    void stop(Connection c, RolloutRow r, String reason, String detail, boolean alert) throws SQLException {
        String where = "a.state IN ('scheduled', 'offered')";
        movedWhere(c, r.id(), "cancelled", "rollout-stopped", where);
        update(c, "UPDATE rollout_assignments SET state = 'cancelled', reason_code = 'rollout-stopped', "
                + "reason_detail = ?, finished_at = ?, updated_at = ? WHERE rollout_id = ? AND state IN ('scheduled', 'offered')",
                "the rollout was stopped (" + reason + ")", ts(), ts(), r.id());
        for (String from : List.of("scheduled", "running", "paused")) {
            groups(c, r.id(), from, "stopped", reason);
        }
        status(c, r, "stopping", reason, detail);
        if (alert) {
            events.alert(c, r.id(), "stopped", reason);
        }
        finishStopping(c, read(c, r.id()));
    }

    /** {@code stopping} with nothing delivering → {@code stopped}; true if it moved. */
    boolean finishStopping(Connection c, RolloutRow r) throws SQLException {
        if (!"stopping".equals(r.status())) {
            return false;
        }
        if (count(c, "SELECT COUNT(*) FROM rollout_assignments WHERE rollout_id = ? AND state = 'delivering'",
                r.id()) > 0) {
            return false;
        }
        status(c, r, "stopped", r.reasonCode(), r.reasonDetail());
        return true;
    }

    /** Running → paused, with its running groups. */
    void pause(Connection c, RolloutRow r, String reason, String detail) throws SQLException {
        groups(c, r.id(), "running", "paused", reason);
        status(c, r, "paused", reason, detail);
    }

    // ---- assignments ---------------------------------------------------------------------------

    /**
     * An assignment failed ({@code failed}) or ran out of time ({@code timed-out}) after
     * {@code attempts} attempts. A security failure is final and counted for the security
     * threshold. Otherwise, while the rollout runs (or is paused) and attempts remain, it goes back
     * to {@code scheduled} after an exponential back-off; else the outcome is final.
     */
    void failed(Connection c, RolloutRow r, String deviceId, int groupNo, String from, int attempts, String to,
            String code, String detail, boolean security) throws SQLException {
        Instant now = now();
        OffsetDateTime ts = Database.timestamp(now);
        String cutCode = Database.cut(code, 64);
        String cutDetail = Database.cut(detail, 1000);
        boolean retry = !security && ("running".equals(r.status()) || "paused".equals(r.status()))
                && attempts < 1 + r.retries();
        update(c, "UPDATE rollout_assignments SET state = ?, reason_code = ?, reason_detail = ?, security_failure = ?, "
                + "attempts = ?, finished_at = ?, updated_at = ? WHERE rollout_id = ? AND device_id = ?",
                to, cutCode, cutDetail, security, attempts, ts, ts, r.id(), deviceId);
        moved(c, r.id(), groupNo, deviceId, from, to, cutCode, security);
        if (security) {
            update(c, "UPDATE rollouts SET security_failures = security_failures + 1, updated_at = ? "
                    + "WHERE rollout_id = ?", ts, r.id());
        }
        if (retry) {
            long factor = 1L << Math.min(20, Math.max(0, attempts - 1));
            Instant next = now.plusSeconds(Math.multiplyExact(r.backoffSeconds(), factor));
            update(c, "UPDATE rollout_assignments SET state = 'scheduled', next_attempt_at = ?, deadline_at = ?, "
                    + "finished_at = NULL, updated_at = ? WHERE rollout_id = ? AND device_id = ?",
                    Database.timestamp(next), Database.timestamp(next.plus(r.timeout())), ts, r.id(), deviceId);
            moved(c, r.id(), groupNo, deviceId, to, "scheduled", "retry", false);
        }
    }

    /**
     * Starts group {@code groupNo}: running, its devices checked again for exclusion, those that
     * already hold the version by a verified receipt counted installed, deadlines set.
     */
    void startGroup(Connection c, RolloutRow r, int groupNo) throws SQLException {
        group(c, r.id(), groupNo, "scheduled", "running", null);
        recheckExclusion(c, r, groupNo);
        alreadyInstalled(c, r, "a.group_no = ? AND a.state = 'scheduled'", groupNo);
        Instant now = now();
        update(c, "UPDATE rollout_assignments SET deadline_at = ?, next_attempt_at = ?, updated_at = ? "
                + "WHERE rollout_id = ? AND group_no = ? AND state = 'scheduled'",
                Database.timestamp(now.plus(r.timeout())), Database.timestamp(now), Database.timestamp(now), r.id(),
                groupNo);
    }

    /** Whether the ledger holds a verified install of {@code r}'s version on {@code deviceId} (as {@link #ALREADY_INSTALLED}). */
    boolean holdsVerifiedInstall(Connection c, String deviceId, RolloutRow r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM deliveries v WHERE v.device_id = ? AND "
                + VERIFIED_INSTALL + " FETCH FIRST 1 ROWS ONLY")) {
            ps.setString(1, deviceId);
            ps.setString(2, r.programId());
            ps.setString(3, r.version());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Assignments matching {@code where} whose device holds the version by a verified receipt → installed. */
    int alreadyInstalled(Connection c, RolloutRow r, String where, Object... params) throws SQLException {
        Object[] all = new Object[params.length + 2];
        System.arraycopy(params, 0, all, 0, params.length);
        all[params.length] = r.programId();
        all[params.length + 1] = r.version();
        String condition = where + " AND " + ALREADY_INSTALLED;
        movedWhere(c, r.id(), "installed", "already-installed", condition, all);
        Object[] updateParams = new Object[all.length + 5];
        updateParams[0] = "the device's ledger holds a verified receipt for this version";
        updateParams[1] = ts();
        updateParams[2] = ts();
        updateParams[3] = r.id();
        System.arraycopy(all, 0, updateParams, 4, all.length);
        updateParams[updateParams.length - 1] = r.id();
        return update(c, "UPDATE rollout_assignments SET state = 'installed', reason_code = 'already-installed', "
                + "reason_detail = ?, finished_at = ?, updated_at = ? WHERE rollout_id = ? AND device_id IN ("
                + "SELECT a.device_id FROM rollout_assignments a WHERE " + condition + " AND a.rollout_id = ?)",
                updateParams);
    }

    private void recheckExclusion(Connection c, RolloutRow r, int groupNo) throws SQLException {
        String after = "";
        while (true) {
            List<String[]> page = new ArrayList<>();
            List<Instant> notAfter = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT a.device_id, d.status, d.certificate_pem, "
                    + "d.certificate_not_after FROM rollout_assignments a LEFT JOIN devices d ON d.device_id = a.device_id "
                    + "WHERE a.rollout_id = ? AND a.group_no = ? AND a.state = 'scheduled' AND a.device_id > ? "
                    + "ORDER BY a.device_id FETCH FIRST " + PAGE + " ROWS ONLY")) {
                ps.setString(1, r.id());
                ps.setInt(2, groupNo);
                ps.setString(3, after);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        page.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
                        notAfter.add(RolloutRow.instant(rs, 4));
                    }
                }
            }
            for (int i = 0; i < page.size(); i++) {
                String[] d = page.get(i);
                Exclusion.Reason why = exclusion.check(d[0], d[1], d[2], notAfter.get(i));
                if (why != null) {
                    exclude(c, r.id(), groupNo, d[0], "scheduled", why);
                }
            }
            if (page.size() < PAGE) {
                return;
            }
            after = page.get(page.size() - 1)[0];
        }
    }

    void exclude(Connection c, String id, int groupNo, String deviceId, String from, Exclusion.Reason why)
            throws SQLException {
        update(c, "UPDATE rollout_assignments SET state = 'excluded', reason_code = ?, reason_detail = ?, "
                + "finished_at = ?, updated_at = ? WHERE rollout_id = ? AND device_id = ?",
                Database.cut(why.code(), 64), Database.cut(why.detail(), 1000), ts(), ts(), id, deviceId);
        moved(c, id, groupNo, deviceId, from, "excluded", why.code(), false);
    }

    // ---- counting ------------------------------------------------------------------------------

    /** Counts of one group, by state, with the security failures apart. */
    record Counts(Map<String, Long> byState, long securityFailed) {
        long get(String state) {
            return byState.getOrDefault(state, 0L);
        }

        long total() {
            return byState.values().stream().mapToLong(Long::longValue).sum();
        }

        long finals() {
            return get("installed") + get("failed") + get("timed-out") + get("excluded") + get("cancelled");
        }

        /** Final failures that count toward the error threshold (security failures do not). */
        long errors() {
            return get("failed") - securityFailed + get("timed-out");
        }
    }

    static Map<String, Long> emptyCounts() {
        Map<String, Long> m = new LinkedHashMap<>();
        STATES.forEach(s -> m.put(s, 0L));
        return m;
    }

    /** The group row's count column of an assignment state ({@code timed-out} → {@code n_timed_out}). */
    static String countColumn(String state) {
        if (!STATES.contains(state)) {
            throw new IllegalArgumentException("not an assignment state: " + state);
        }
        return "n_" + state.replace('-', '_');
    }

    private static final String COUNT_COLUMNS = String.join(", ", STATES.stream().map(Engine::countColumn).toList())
            + ", n_security_failed";

    /**
     * Per group number, from the counts kept on the group rows: a few rows read, whatever the
     * number of targets. {@link #moved} and {@link #movedWhere} keep them, {@link #recount} sets them.
     */
    Map<Integer, Counts> countsByGroup(Connection c, String id) throws SQLException {
        Map<Integer, Counts> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT group_no, " + COUNT_COLUMNS
                + " FROM rollout_groups WHERE rollout_id = ? ORDER BY group_no")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Long> m = new LinkedHashMap<>();
                    for (int i = 0; i < STATES.size(); i++) {
                        m.put(STATES.get(i), rs.getLong(2 + i));
                    }
                    out.put(rs.getInt(1), new Counts(m, rs.getLong(2 + STATES.size())));
                }
            }
        }
        return out;
    }

    /**
     * Per group number, counted over the assignments themselves (O(targets)): what
     * {@link #recount} stores, and what tests compare the kept counts with.
     */
    Map<Integer, Counts> countedByGroup(Connection c, String id) throws SQLException {
        Map<Integer, Map<String, Long>> states = new LinkedHashMap<>();
        Map<Integer, Long> security = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT g.group_no, a.state, a.security_failure, COUNT(a.state) "
                + "FROM rollout_groups g LEFT JOIN rollout_assignments a ON a.rollout_id = g.rollout_id "
                + "AND a.group_no = g.group_no WHERE g.rollout_id = ? GROUP BY g.group_no, a.state, a.security_failure "
                + "ORDER BY g.group_no")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int g = rs.getInt(1);
                    Map<String, Long> m = states.computeIfAbsent(g, k -> emptyCounts());
                    String state = rs.getString(2);
                    if (state == null) {
                        continue; // a group with no assignment (yet)
                    }
                    long n = rs.getLong(4);
                    m.merge(state, n, Long::sum);
                    if (rs.getBoolean(3) && "failed".equals(state)) {
                        security.merge(g, n, Long::sum);
                    }
                }
            }
        }
        Map<Integer, Counts> out = new LinkedHashMap<>();
        states.forEach((g, m) -> out.put(g, new Counts(m, security.getOrDefault(g, 0L))));
        return out;
    }

    /**
     * Sets the kept counts of every group of the rollout from its assignments: once, after its
     * assignments were inserted in bulk (creation, devices joining a dynamic rollout).
     */
    void recount(Connection c, String id) throws SQLException {
        StringBuilder set = new StringBuilder();
        for (String s : STATES) {
            set.append(countColumn(s)).append(" = ?, ");
        }
        set.append("n_security_failed = ?");
        for (Map.Entry<Integer, Counts> e : countedByGroup(c, id).entrySet()) {
            Object[] params = new Object[STATES.size() + 3];
            for (int i = 0; i < STATES.size(); i++) {
                params[i] = e.getValue().get(STATES.get(i));
            }
            params[STATES.size()] = e.getValue().securityFailed();
            params[STATES.size() + 1] = id;
            params[STATES.size() + 2] = e.getKey();
            update(c, "UPDATE rollout_groups SET " + set + " WHERE rollout_id = ? AND group_no = ?", params);
        }
    }

    /**
     * One assignment moved from {@code from} to {@code to}: its event, and its group's kept counts
     * ({@code security}: a final security failure). The caller holds the rollout row, so the group
     * row is taken in the documented lock order.
     */
    void moved(Connection c, String id, int groupNo, String deviceId, String from, String to, String reason,
            boolean security) throws SQLException {
        events.assignment(c, id, groupNo, deviceId, from, to, reason);
        moveCount(c, id, groupNo, from, to, 1, security);
    }

    /**
     * The assignments of {@code alias a} matching {@code where} are about to move to {@code to} by
     * one set-based UPDATE: their events and their groups' kept counts. Call it just before that
     * UPDATE, with the same condition.
     */
    void movedWhere(Connection c, String id, String to, String reason, String where, Object... params)
            throws SQLException {
        List<Object[]> moving = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.group_no, a.state, COUNT(*) FROM rollout_assignments a "
                + "WHERE a.rollout_id = ? AND (" + where + ") GROUP BY a.group_no, a.state")) {
            ps.setString(1, id);
            for (int i = 0; i < params.length; i++) {
                ps.setObject(2 + i, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    moving.add(new Object[] {rs.getInt(1), rs.getString(2), rs.getLong(3)});
                }
            }
        }
        if (moving.isEmpty()) {
            return;
        }
        events.assignmentsWhere(c, id, to, reason, where, params);
        for (Object[] m : moving) {
            moveCount(c, id, (Integer) m[0], (String) m[1], to, (Long) m[2], false);
        }
    }

    private static void moveCount(Connection c, String id, int groupNo, String from, String to, long n, boolean security)
            throws SQLException {
        String minus = countColumn(from) + " = " + countColumn(from) + " - ?, ";
        String plus = countColumn(to) + " = " + countColumn(to) + " + ?";
        String sec = security ? ", n_security_failed = n_security_failed + ?" : "";
        List<Object> params = new ArrayList<>(List.of(n, n));
        if (security) {
            params.add(n);
        }
        params.add(id);
        params.add(groupNo);
        if (update(c, "UPDATE rollout_groups SET " + minus + plus + sec + " WHERE rollout_id = ? AND group_no = ?",
                params.toArray()) != 1) {
            // fail closed: counts that no longer match their assignments would drive the thresholds
            throw new IllegalStateException("rollout " + id + " has no group " + groupNo + " to count in");
        }
    }
}
