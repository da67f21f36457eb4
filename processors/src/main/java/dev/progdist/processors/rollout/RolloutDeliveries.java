package dev.progdist.processors.rollout;

import dev.progdist.processors.delivery.RolloutLink;
import dev.progdist.processors.program.DeliverySettlement;
import dev.progdist.processors.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where deliveries meet rollouts. {@link #claim} links a new delivery to the device's offered (or
 * scheduled) assignment for exactly that program version and makes it {@code delivering};
 * {@link #settled} (called by the delivery ledger inside the transaction that finishes the ledger
 * row) records the outcome on the assignment, so the two never disagree: a verified receipt →
 * {@code installed}; a failure → by {@link FailureKind}: security (counted, may stop the rollout at
 * once), error (the retry rule), cancelled ({@code rollout-stopped}). {@link #stillWanted} tells
 * transmit to end a delivery whose assignment no longer wants it.
 */
public final class RolloutDeliveries implements RolloutLink, DeliverySettlement {

    private final Engine engine;

    public RolloutDeliveries(Database database, Clock clock) {
        this.engine = new Engine(database, clock, new Exclusion(null, clock));
    }

    @Override
    public Optional<Assignment> claim(String deviceId, String programId, String version, String deliveryId) {
        List<String> rollouts = engine.tx(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT a.rollout_id FROM rollout_assignments a JOIN rollouts r "
                    + "ON r.rollout_id = a.rollout_id WHERE a.device_id = ? AND a.state IN ('offered', 'scheduled') "
                    + "AND r.program_id = ? AND r.version = ? AND r.status = 'running' ORDER BY a.state, r.created_at "
                    + "FETCH FIRST 20 ROWS ONLY")) {
                ps.setString(1, deviceId);
                ps.setString(2, programId);
                ps.setString(3, version);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            }
            return out;
        });
        for (String id : rollouts) {
            Optional<Assignment> claimed = engine.tx(c -> claim(c, id, deviceId, deliveryId));
            if (claimed.isPresent()) {
                return claimed;
            }
        }
        return Optional.empty();
    }

    private Optional<Assignment> claim(Connection c, String id, String deviceId, String deliveryId)
            throws SQLException {
        RolloutRow r = engine.lock(c, id);
        if (r == null || !r.status().equals("running") || !MaintenanceWindow.isOpen(r.window(), engine.now())) {
            return Optional.empty();
        }
        int groupNo;
        String from;
        try (PreparedStatement ps = c.prepareStatement("SELECT a.group_no, a.state FROM rollout_assignments a JOIN "
                + "rollout_groups g ON g.rollout_id = a.rollout_id AND g.group_no = a.group_no WHERE a.rollout_id = ? "
                + "AND a.device_id = ? AND a.state IN ('offered', 'scheduled') AND g.status = 'running' "
                + "AND (a.next_attempt_at IS NULL OR a.next_attempt_at <= ?)")) {
            ps.setString(1, id);
            ps.setString(2, deviceId);
            ps.setObject(3, engine.ts());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                groupNo = rs.getInt(1);
                from = rs.getString(2);
            }
        }
        Engine.update(c, "UPDATE rollout_assignments SET state = 'delivering', attempts = attempts + 1, delivery_id = ?, "
                + "started_at = ?, finished_at = NULL, updated_at = ? WHERE rollout_id = ? AND device_id = ?",
                deliveryId, engine.ts(), engine.ts(), id, deviceId);
        Engine.update(c, "UPDATE deliveries SET rollout_id = ? WHERE delivery_id = ?", id, deliveryId);
        engine.moved(c, id, groupNo, deviceId, from, "delivering", null, false);
        return Optional.of(new Assignment(id, groupNo, r.mode(), r.releaseScope(groupNo)));
    }

    @Override
    public boolean stillWanted(String deliveryId) {
        return engine.tx(c -> {
            // joined on delivery_id alone, its own index: with rollout_id in the join too, H2 picked the
            // rollout_id index whenever its column statistics were not yet gathered (a new or
            // fast-growing table) and read every assignment of the rollout on each call (measured:
            // 1,001 rows for a 1,000-device rollout); the rollout is compared here instead
            try (PreparedStatement ps = c.prepareStatement("SELECT d.rollout_id, a.rollout_id, a.state, r.status "
                    + "FROM deliveries d LEFT JOIN rollout_assignments a ON a.delivery_id = d.delivery_id "
                    + "LEFT JOIN rollouts r ON r.rollout_id = d.rollout_id WHERE d.delivery_id = ?")) {
                ps.setString(1, deliveryId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || rs.getString(1) == null) {
                        return true;
                    }
                    String state = rs.getString(1).equals(rs.getString(2)) ? rs.getString(3) : null;
                    String status = rs.getString(4);
                    return "delivering".equals(state) && !"stopping".equals(status) && !"stopped".equals(status)
                            && !"failed".equals(status);
                }
            }
        });
    }

    @Override
    public void settled(Connection c, String deliveryId, boolean installed, String code, String detail)
            throws SQLException {
        String id;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT rollout_id FROM rollout_assignments WHERE delivery_id = ?")) {
            ps.setString(1, deliveryId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return;
                }
                id = rs.getString(1);
            }
        }
        RolloutRow r = engine.lock(c, id);
        String deviceId = null;
        int groupNo = 0;
        int attempts = 0;
        // by delivery_id alone (as in stillWanted): with rollout_id and state in the WHERE clause
        // too, H2 without column statistics read the rollout's every assignment through another index
        try (PreparedStatement ps = c.prepareStatement("SELECT device_id, group_no, attempts, rollout_id, state "
                + "FROM rollout_assignments WHERE delivery_id = ?")) {
            ps.setString(1, deliveryId);
            try (ResultSet rs = ps.executeQuery()) {
                while (deviceId == null && rs.next()) {
                    if (id.equals(rs.getString(4)) && "delivering".equals(rs.getString(5))) {
                        deviceId = rs.getString(1);
                        groupNo = rs.getInt(2);
                        attempts = rs.getInt(3);
                    }
                }
            }
        }
        if (deviceId == null) {
            return; // timed out meanwhile: its outcome no longer counts
        }
        if (installed) {
            Engine.update(c, "UPDATE rollout_assignments SET state = 'installed', reason_code = NULL, reason_detail = NULL, "
                    + "security_failure = FALSE, finished_at = ?, updated_at = ? WHERE rollout_id = ? AND device_id = ?",
                    engine.ts(), engine.ts(), id, deviceId);
            engine.moved(c, id, groupNo, deviceId, "delivering", "installed", null, false);
        } else {
            switch (FailureKind.of(code)) {
                case CANCELLED -> {
                    Engine.update(c, "UPDATE rollout_assignments SET state = 'cancelled', reason_code = 'rollout-stopped', "
                            + "reason_detail = ?, finished_at = ?, updated_at = ? WHERE rollout_id = ? AND device_id = ?",
                            Database.cut(detail, 1000), engine.ts(), engine.ts(), id, deviceId);
                    engine.moved(c, id, groupNo, deviceId, "delivering", "cancelled", "rollout-stopped", false);
                }
                case SECURITY -> {
                    engine.failed(c, r, deviceId, groupNo, "delivering", attempts, "failed", code, detail, true);
                    RolloutRow now = engine.read(c, id);
                    if (now.securityFailures() >= now.securityThreshold()
                            && (now.status().equals("running") || now.status().equals("paused"))) {
                        engine.stop(c, now, "security-threshold", now.securityFailures() + " security failure(s), "
                                + "threshold " + now.securityThreshold() + "; the last: " + code + " on device "
                                + deviceId, true);
                    }
                }
                case ERROR -> engine.failed(c, r, deviceId, groupNo, "delivering", attempts, "failed", code, detail,
                        false);
                default -> throw new IllegalStateException();
            }
        }
        engine.finishStopping(c, engine.read(c, id));
    }
}
