package dev.progdist.processors.rollout;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reading target devices in registration order ({@code registered_at}, then {@code device_id}),
 * a bounded page at a time (keyset paging), so that no rollout's target set is ever held whole.
 */
final class Targets {

    /** One target device as the engine needs it. */
    record Target(String deviceId, String owner, String status, Instant registeredAt, String certificatePem,
            Instant notAfter) {
    }

    static final Comparator<Target> REGISTRATION = Comparator.comparing(Target::registeredAt)
            .thenComparing(Target::deviceId);

    static final String COLUMNS = "d.device_id, d.owner_user_id, d.status, d.registered_at, d.certificate_pem, "
            + "d.certificate_not_after";

    @FunctionalInterface
    interface PageConsumer {
        /** @return false to stop reading */
        boolean accept(List<Target> page) throws SQLException;
    }

    private Targets() {
    }

    static Target read(ResultSet rs) throws SQLException {
        return new Target(rs.getString(1), rs.getString(2), rs.getString(3), RolloutRow.instant(rs, 4),
                rs.getString(5), RolloutRow.instant(rs, 6));
    }

    /** Pages of the devices {@code d} matching {@code where}, in registration order. */
    static void pages(Connection c, String where, List<Object> params, int pageSize, PageConsumer consumer)
            throws SQLException {
        Target last = null;
        while (true) {
            List<Target> page = new ArrayList<>();
            String keyset = last == null ? "" : " AND (d.registered_at > ? OR (d.registered_at = ? AND d.device_id > ?))";
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM devices d WHERE (" + where + ")"
                    + keyset + " ORDER BY d.registered_at, d.device_id FETCH FIRST " + pageSize + " ROWS ONLY")) {
                int i = 1;
                for (Object p : params) {
                    ps.setObject(i++, p);
                }
                if (last != null) {
                    OffsetDateTime at = dev.progdist.processors.store.Database.timestamp(last.registeredAt());
                    ps.setObject(i++, at);
                    ps.setObject(i++, at);
                    ps.setString(i, last.deviceId());
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        page.add(read(rs));
                    }
                }
            }
            if (page.isEmpty() || !consumer.accept(page) || page.size() < pageSize) {
                return;
            }
            last = page.get(page.size() - 1);
        }
    }

    static long count(Connection c, String where, List<Object> params) throws SQLException {
        return Engine.count(c, "SELECT COUNT(*) FROM devices d WHERE " + where, params.toArray());
    }

    /** The tags of each of {@code ids} (absent: none). */
    static Map<String, Set<String>> tags(Connection c, List<String> ids) throws SQLException {
        Map<String, Set<String>> out = new HashMap<>();
        if (ids.isEmpty()) {
            return out;
        }
        String marks = String.join(", ", java.util.Collections.nCopies(ids.size(), "?"));
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT device_id, tag FROM device_tags WHERE device_id IN (" + marks + ")")) {
            for (int i = 0; i < ids.size(); i++) {
                ps.setString(i + 1, ids.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.computeIfAbsent(rs.getString(1), k -> new HashSet<>()).add(rs.getString(2));
                }
            }
        }
        return out;
    }

    /** The registered devices among {@code ids} (at most a few hundred per call), by ID. */
    static Map<String, Target> find(Connection c, List<String> ids) throws SQLException {
        Map<String, Target> out = new HashMap<>();
        if (ids.isEmpty()) {
            return out;
        }
        String marks = String.join(", ", java.util.Collections.nCopies(ids.size(), "?"));
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT " + COLUMNS + " FROM devices d WHERE d.device_id IN (" + marks + ")")) {
            for (int i = 0; i < ids.size(); i++) {
                ps.setString(i + 1, ids.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Target t = read(rs);
                    out.put(t.deviceId(), t);
                }
            }
        }
        return out;
    }
}
