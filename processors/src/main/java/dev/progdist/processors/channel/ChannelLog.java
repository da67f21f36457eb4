package dev.progdist.processors.channel;

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
import java.util.List;

/**
 * The record of every second-path outcome: authenticated, refused (with the processor
 * authentication's reason), failed (TLS or protocol error) or closed. Never holds key material.
 */
public class ChannelLog {

    /** One recorded outcome. */
    public record Event(Instant at, String sessionId, String userId, String deviceId, String fingerprint,
            String outcome, String code, String detail) {
    }

    private final Database database;
    private final Clock clock;

    public ChannelLog(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    public void record(String sessionId, String userId, String deviceId, String fingerprint, String outcome,
            String code, String detail) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO channel_events (at, session_id, user_id, "
                        + "device_id, cert_fingerprint, outcome, code, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setObject(1, Database.timestamp(clock.instant()));
            ps.setString(2, sessionId);
            ps.setString(3, userId);
            ps.setString(4, deviceId);
            ps.setString(5, fingerprint);
            ps.setString(6, outcome);
            ps.setString(7, Database.cut(code, 64));
            ps.setString(8, Database.cut(detail, 512));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot record channel event", e);
        }
    }

    /** The newest events of one session (at most 1000), oldest first. */
    public List<Event> forSession(String sessionId) {
        return query("WHERE session_id = ?", sessionId);
    }

    /** The newest events of one device (at most 1000), oldest first. */
    public List<Event> forDevice(String deviceId) {
        return query("WHERE device_id = ?", deviceId);
    }

    /**
     * Bounds the table: deletes events older than {@code keep}, then, if more than {@code maxRows}
     * remain, the oldest beyond that many (by ID, so gaps in the ID sequence may keep a few fewer).
     * Returns how many rows were deleted.
     */
    public int purge(java.time.Duration keep, long maxRows) {
        try (Connection c = database.connection()) {
            int deleted;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM channel_events WHERE at < ?")) {
                ps.setObject(1, Database.timestamp(clock.instant().minus(keep)));
                deleted = ps.executeUpdate();
            }
            long newest;
            try (PreparedStatement ps = c.prepareStatement("SELECT MAX(id) FROM channel_events");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                newest = rs.getLong(1);
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM channel_events WHERE id <= ?")) {
                ps.setLong(1, newest - maxRows);
                deleted += ps.executeUpdate();
            }
            return deleted;
        } catch (SQLException e) {
            throw new StoreException("cannot purge channel events", e);
        }
    }

    private List<Event> query(String where, String arg) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("SELECT at, session_id, user_id, device_id, cert_fingerprint, "
                        + "outcome, code, detail FROM channel_events " + where + " ORDER BY id DESC")) {
            ps.setString(1, arg);
            ps.setMaxRows(1000);
            List<Event> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Event(rs.getObject(1, OffsetDateTime.class).toInstant(), rs.getString(2),
                            rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
                            rs.getString(8)));
                }
            }
            java.util.Collections.reverse(out);
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot read channel events", e);
        }
    }
}
