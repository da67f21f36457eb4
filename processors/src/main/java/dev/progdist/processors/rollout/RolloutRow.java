package dev.progdist.processors.rollout;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Set;

/** One row of {@code rollouts}, as the engine reads it (never with its assignments). */
record RolloutRow(String id, String name, String programId, String version, String mode, String status,
        String reasonCode, String reasonDetail, String targetKind, String targetFilter, String groupSpec,
        String order, Long seed, int successThreshold, String onSuccess, int errorThreshold, String errorKind,
        int securityThreshold, long timeoutSeconds, int retries, long backoffSeconds, Instant startAt,
        String windowStart, String windowEnd, String windowZone, boolean dynamic, boolean freshKeyPerGroup,
        boolean startRequested, String retryOf, String createdBy, Instant createdAt, String decidedBy,
        Instant decidedAt, String decisionRemark, Instant startedAt, Instant endedAt, Instant updatedAt,
        int schedulerErrors, int securityFailures) {

    static final Set<String> FINAL = Set.of("stopped", "finished", "failed");

    static final String COLUMNS = "rollout_id, name, program_id, version, mode, status, reason_code, reason_detail, "
            + "target_kind, target_filter, group_spec, target_order, order_seed, success_threshold, on_success, "
            + "error_threshold, error_threshold_kind, security_threshold, device_timeout_seconds, retries, "
            + "retry_backoff_seconds, start_at, window_start, window_end, window_zone, dynamic_targets, "
            + "fresh_key_per_group, start_requested, retry_of, created_by, created_at, decided_by, decided_at, "
            + "decision_remark, started_at, ended_at, updated_at, scheduler_errors, security_failures";

    static RolloutRow read(ResultSet rs) throws SQLException {
        long seed = rs.getLong(13);
        Long seedOrNull = rs.wasNull() ? null : seed;
        return new RolloutRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10),
                rs.getString(11), rs.getString(12), seedOrNull, rs.getInt(14), rs.getString(15), rs.getInt(16),
                rs.getString(17), rs.getInt(18), rs.getLong(19), rs.getInt(20), rs.getLong(21), instant(rs, 22),
                rs.getString(23), rs.getString(24), rs.getString(25), rs.getBoolean(26), rs.getBoolean(27),
                rs.getBoolean(28), rs.getString(29), rs.getString(30), instant(rs, 31), rs.getString(32),
                instant(rs, 33), rs.getString(34), instant(rs, 35), instant(rs, 36), instant(rs, 37), rs.getInt(38),
                rs.getInt(39));
    }

    static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    boolean isFinal() {
        return FINAL.contains(status);
    }

    Duration timeout() {
        return Duration.ofSeconds(timeoutSeconds);
    }

    MaintenanceWindow window() {
        return MaintenanceWindow.stored(windowStart, windowEnd, windowZone);
    }

    String errorThresholdText() {
        return "percent".equals(errorKind) ? errorThreshold + "%" : Integer.toString(errorThreshold);
    }

    /** The release key scope a delivery of group {@code groupNo} uses. */
    String releaseScope(int groupNo) {
        return freshKeyPerGroup ? "g" + groupNo : "all";
    }
}
