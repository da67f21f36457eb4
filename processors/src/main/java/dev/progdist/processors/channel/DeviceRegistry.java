package dev.progdist.processors.channel;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.IdConflictException;
import dev.progdist.processors.store.StoreException;
import dev.progdist.protocol.DeviceId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which TRP belongs to which user. A TRP may open a second path only inside a first-path session
 * of its registered owner, and only while it is {@code active}.
 */
public class DeviceRegistry {

    /** A registered device. */
    public record Device(String deviceId, String ownerUserId, String status, Instant registeredAt,
            String lastFingerprint, Instant lastSeenAt) {
        public boolean active() {
            return "active".equals(status);
        }
    }

    private final Database database;
    private final Clock clock;

    public DeviceRegistry(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /**
     * Registers {@code deviceId} to {@code owner} (re-registering moves it and re-activates it).
     *
     * @throws IllegalArgumentException for an invalid device ID or an unknown owner
     * @throws IdConflictException      if a registered device's ID differs from {@code deviceId} only in case or in
     *                                  {@code _} against {@code -} ({@link DeviceId#folded})
     */
    public Device register(String deviceId, String owner, String registeredBy) {
        DeviceId.require(deviceId);
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try (PreparedStatement u = c.prepareStatement("SELECT 1 FROM users WHERE user_id = ?")) {
                u.setString(1, owner);
                try (ResultSet rs = u.executeQuery()) {
                    if (!rs.next()) {
                        c.rollback();
                        throw new IllegalArgumentException("no user '" + owner + "' to own device " + deviceId);
                    }
                }
            }
            boolean exists;
            try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM devices WHERE device_id = ? FOR UPDATE")) {
                s.setString(1, deviceId);
                try (ResultSet rs = s.executeQuery()) {
                    exists = rs.next();
                }
            }
            if (!exists) {
                // d1 and D1 would share a TRP home directory on a case-insensitive file system, d-1
                // and d_1 a password variable
                try (PreparedStatement s = c.prepareStatement(
                        "SELECT device_id FROM devices WHERE device_id_folded = ?")) {
                    s.setString(1, DeviceId.folded(deviceId));
                    try (ResultSet rs = s.executeQuery()) {
                        if (rs.next()) {
                            String other = rs.getString(1);
                            c.rollback();
                            throw new IdConflictException("device", deviceId, other);
                        }
                    }
                }
            }
            String sql = exists
                    ? "UPDATE devices SET owner_user_id = ?, status = 'active', registered_at = ?, registered_by = ? "
                            + "WHERE device_id = ?"
                    : "INSERT INTO devices (owner_user_id, status, registered_at, registered_by, device_id) "
                            + "VALUES (?, 'active', ?, ?, ?)";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, owner);
                ps.setObject(2, Database.timestamp(clock.instant()));
                ps.setString(3, registeredBy);
                ps.setString(4, deviceId);
                ps.executeUpdate();
            }
            c.commit();
        } catch (SQLException e) {
            if (IdConflictException.isFoldedUniqueViolation(e)) {
                throw new IdConflictException("device", deviceId, "(another spelling)");
            }
            throw new StoreException("cannot register device", e);
        }
        return find(deviceId).orElseThrow();
    }

    /** Sets a device {@code active} or {@code disabled}; false if there is no such device. */
    public boolean setStatus(String deviceId, boolean active) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("UPDATE devices SET status = ? WHERE device_id = ?")) {
            ps.setString(1, active ? "active" : "disabled");
            ps.setString(2, deviceId);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new StoreException("cannot change device status", e);
        }
    }

    public Optional<Device> find(String deviceId) {
        if (!DeviceId.isValid(deviceId)) {
            return Optional.empty();
        }
        List<Device> found = query("WHERE device_id = ?", deviceId, 1);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** Devices of one owner, or all when {@code owner} is null; at most {@code limit}. */
    public List<Device> list(String owner, int limit) {
        return owner == null ? query("", null, limit) : query("WHERE owner_user_id = ?", owner, limit);
    }

    /** Notes the certificate a device authenticated with, and when. */
    public void seen(String deviceId, String fingerprint) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement(
                        "UPDATE devices SET last_fingerprint = ?, last_seen_at = ? WHERE device_id = ?")) {
            ps.setString(1, fingerprint);
            ps.setObject(2, Database.timestamp(clock.instant()));
            ps.setString(3, deviceId);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot update device", e);
        }
    }

    private List<Device> query(String where, String arg, int limit) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("SELECT device_id, owner_user_id, status, registered_at, "
                        + "last_fingerprint, last_seen_at FROM devices " + where + " ORDER BY device_id")) {
            if (arg != null) {
                ps.setString(1, arg);
            }
            ps.setMaxRows(limit);
            List<Device> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    OffsetDateTime seen = rs.getObject(6, OffsetDateTime.class);
                    out.add(new Device(rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getString(5),
                            seen == null ? null : seen.toInstant()));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot read devices", e);
        }
    }
}
