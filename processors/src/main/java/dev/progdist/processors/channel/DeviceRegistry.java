package dev.progdist.processors.channel;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.IdConflictException;
import dev.progdist.processors.store.StoreException;
import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.keys.Pem;
import java.security.cert.X509Certificate;
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
 *
 * <p>Also what rollouts select and exclude devices by: the device's last validated TRP certificate
 * (public; stored when processor authentication accepts it, or given at registration), and its
 * tags ({@value #TAG_PATTERN}, at most {@value #MAX_TAGS} per device).
 */
public class DeviceRegistry {

    /**
     * A registered device. {@code certificateNotAfter}: the end of validity of its stored
     * certificate (null when none is stored); {@code tags} sorted.
     */
    public record Device(String deviceId, String ownerUserId, String status, Instant registeredAt,
            String lastFingerprint, Instant lastSeenAt, Instant certificateNotAfter, List<String> tags) {
        public Device {
            tags = tags == null ? List.of() : List.copyOf(tags);
        }

        public boolean active() {
            return "active".equals(status);
        }
    }

    /** What a tag may be: lower-case letters, digits, {@code . _ -}, 1 to 32 characters. */
    public static final String TAG_PATTERN = "[a-z0-9][a-z0-9._-]{0,31}";
    /** The most tags one device may carry. */
    public static final int MAX_TAGS = 32;
    private static final java.util.regex.Pattern TAG = java.util.regex.Pattern.compile(TAG_PATTERN);

    /** True if {@code tag} is a valid tag ({@value #TAG_PATTERN}). */
    public static boolean isValidTag(String tag) {
        return tag != null && TAG.matcher(tag).matches();
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
        return register(deviceId, owner, registeredBy, null);
    }

    /**
     * {@link #register(String, String, String)}, storing {@code certificate} as the device's TRP
     * certificate when it is not null (the caller validated it and checked that it names
     * {@code deviceId}); without one, a stored certificate is kept.
     */
    public Device register(String deviceId, String owner, String registeredBy, X509Certificate certificate) {
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
            if (certificate != null) {
                storeCertificate(c, deviceId, certificate);
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
        List<Device> found = query("WHERE devices.device_id = ?", deviceId, 1);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** Devices of one owner, or all when {@code owner} is null; at most {@code limit}. */
    public List<Device> list(String owner, int limit) {
        return owner == null ? query("", null, limit) : query("WHERE owner_user_id = ?", owner, limit);
    }

    /** Notes the certificate a device authenticated with, and when. */
    public void seen(String deviceId, String fingerprint) {
        seen(deviceId, fingerprint, null);
    }

    /**
     * Notes the certificate a device authenticated with, and when; with {@code certificate} (the
     * one the second path validated) also stores it (PEM and end of validity), for rollouts to
     * exclude revoked and expired devices before anything is sent to them.
     */
    public void seen(String deviceId, String fingerprint, X509Certificate certificate) {
        String sql = certificate == null
                ? "UPDATE devices SET last_fingerprint = ?, last_seen_at = ? WHERE device_id = ?"
                : "UPDATE devices SET last_fingerprint = ?, last_seen_at = ?, certificate_pem = ?, "
                        + "certificate_not_after = ? WHERE device_id = ?";
        try (Connection c = database.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setString(i++, fingerprint);
            ps.setObject(i++, Database.timestamp(clock.instant()));
            if (certificate != null) {
                ps.setString(i++, Pem.toPem(certificate));
                ps.setObject(i++, Database.timestamp(certificate.getNotAfter().toInstant()));
            }
            ps.setString(i, deviceId);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot update device", e);
        }
    }

    /** The device's stored TRP certificate, PEM; empty when none is stored (or no such device). */
    public Optional<String> certificatePem(String deviceId) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("SELECT certificate_pem FROM devices WHERE device_id = ?")) {
            ps.setString(1, deviceId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read device certificate", e);
        }
    }

    /**
     * Adds {@code tag} to the device (no change if it has it).
     *
     * @return false if there is no such device
     * @throws IllegalArgumentException for an invalid tag, or when the device has {@value #MAX_TAGS} tags already
     */
    public boolean addTag(String deviceId, String tag) {
        requireTag(tag);
        if (!DeviceId.isValid(deviceId)) {
            return false;
        }
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                // the device row, locked: concurrent additions cannot pass the limit together
                try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM devices WHERE device_id = ? FOR UPDATE")) {
                    s.setString(1, deviceId);
                    try (ResultSet rs = s.executeQuery()) {
                        if (!rs.next()) {
                            c.rollback();
                            return false;
                        }
                    }
                }
                List<String> have = tags(c, deviceId);
                if (!have.contains(tag)) {
                    if (have.size() >= MAX_TAGS) {
                        c.rollback();
                        throw new IllegalArgumentException("device " + deviceId + " has " + MAX_TAGS
                                + " tags already, the most allowed");
                    }
                    try (PreparedStatement ps = c.prepareStatement(
                            "INSERT INTO device_tags (device_id, tag) VALUES (?, ?)")) {
                        ps.setString(1, deviceId);
                        ps.setString(2, tag);
                        ps.executeUpdate();
                    }
                }
                c.commit();
                return true;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot tag device", e);
        }
    }

    /**
     * Removes {@code tag} from the device (no change if it does not have it).
     *
     * @return false if there is no such device
     * @throws IllegalArgumentException for an invalid tag
     */
    public boolean removeTag(String deviceId, String tag) {
        requireTag(tag);
        if (find(deviceId).isEmpty()) {
            return false;
        }
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM device_tags WHERE device_id = ? AND tag = ?")) {
            ps.setString(1, deviceId);
            ps.setString(2, tag);
            ps.executeUpdate();
            return true;
        } catch (SQLException e) {
            throw new StoreException("cannot untag device", e);
        }
    }

    /** The device's tags, sorted (empty for an unknown device). */
    public List<String> tags(String deviceId) {
        try (Connection c = database.connection()) {
            return tags(c, deviceId);
        } catch (SQLException e) {
            throw new StoreException("cannot read device tags", e);
        }
    }

    private static List<String> tags(Connection c, String deviceId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT tag FROM device_tags WHERE device_id = ? ORDER BY tag")) {
            ps.setString(1, deviceId);
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        }
    }

    private static void requireTag(String tag) {
        if (!isValidTag(tag)) {
            throw new IllegalArgumentException("a tag must be 1 to 32 characters of a-z 0-9 . _ -, starting with a "
                    + "letter or digit");
        }
    }

    private static void storeCertificate(Connection c, String deviceId, X509Certificate certificate)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE devices SET certificate_pem = ?, certificate_not_after = ? WHERE device_id = ?")) {
            ps.setString(1, Pem.toPem(certificate));
            ps.setObject(2, Database.timestamp(certificate.getNotAfter().toInstant()));
            ps.setString(3, deviceId);
            ps.executeUpdate();
        }
    }

    private List<Device> query(String where, String arg, int limit) {
        try (Connection c = database.connection()) {
            List<Device> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT device_id, owner_user_id, status, registered_at, "
                    + "last_fingerprint, last_seen_at, certificate_not_after FROM devices " + where
                    + " ORDER BY device_id")) {
                if (arg != null) {
                    ps.setString(1, arg);
                }
                ps.setMaxRows(limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        OffsetDateTime seen = rs.getObject(6, OffsetDateTime.class);
                        OffsetDateTime notAfter = rs.getObject(7, OffsetDateTime.class);
                        out.add(new Device(rs.getString(1), rs.getString(2), rs.getString(3),
                                rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getString(5),
                                seen == null ? null : seen.toInstant(), notAfter == null ? null : notAfter.toInstant(),
                                List.of()));
                    }
                }
            }
            if (out.isEmpty()) {
                return out;
            }
            // the tags of the same devices, in one query (at most MAX_TAGS per device)
            java.util.Map<String, List<String>> tags = new java.util.HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT t.device_id, t.tag FROM device_tags t "
                    + "JOIN devices ON devices.device_id = t.device_id " + where + " ORDER BY t.device_id, t.tag")) {
                if (arg != null) {
                    ps.setString(1, arg);
                }
                // the listed devices come first in device_id order: their tags are within this many rows
                ps.setMaxRows((int) Math.min(Integer.MAX_VALUE, (long) limit * MAX_TAGS));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        tags.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
                    }
                }
            }
            List<Device> tagged = new ArrayList<>(out.size());
            for (Device d : out) {
                tagged.add(new Device(d.deviceId(), d.ownerUserId(), d.status(), d.registeredAt(), d.lastFingerprint(),
                        d.lastSeenAt(), d.certificateNotAfter(), tags.getOrDefault(d.deviceId(), List.of())));
            }
            return tagged;
        } catch (SQLException e) {
            throw new StoreException("cannot read devices", e);
        }
    }
}
