package dev.progdist.processors.rollout;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbox of rollout state changes ({@code rollout_events}). Every rollout, group and
 * assignment change writes its event on the connection (so in the transaction) that makes the
 * change; {@link #publishPending} sends them in id order and deletes what was sent. Delivery is
 * at-least-once: a crash between send and delete sends again, and consumers dedupe on {@code id}.
 *
 * <p>Body: {@code {"id":42,"type":"rollout"|"group"|"assignment"|"alert","rolloutId":"r-…",
 * "group":2|null,"deviceId":"D"|null,"from":"scheduled"|null,"to":"offered","reason":"…"|null,
 * "at":"2026-12-02T04:00:00Z"}}. The row stores it without {@code id}, which is added when sent.
 */
public final class RolloutEvents {

    private static final Logger LOG = LoggerFactory.getLogger(RolloutEvents.class);

    /** Most events sent per {@link #publishPending} call. */
    public static final int BATCH = 500;

    private final Database database;
    private final Clock clock;

    public RolloutEvents(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /**
     * Sends up to {@value #BATCH} pending events in id order through {@code send} and deletes each
     * one sent (in one batch after the sends). A send that throws stops the batch: that event and all
     * later ones stay for the next call, so the order holds. (Ids are taken when a transaction
     * inserts, so an event of a transaction that commits late can follow one with a higher id:
     * consumers order by id within what they receive and dedupe on it.)
     *
     * @return how many were sent
     */
    public int publishPending(Consumer<String> send) {
        List<Long> ids = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("SELECT id, body FROM rollout_events ORDER BY id")) {
            ps.setMaxRows(BATCH);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                    bodies.add(rs.getString(2));
                }
            }
            int sent = 0;
            try {
                for (int i = 0; i < ids.size(); i++) {
                    String body = bodies.get(i);
                    send.accept("{\"id\":" + ids.get(i) + "," + body.substring(1));
                    sent++;
                }
            } catch (RuntimeException sendFailed) {
                // this one and the rest stay, in order, for the next call
                LOG.warn("Publishing rollout event {} failed ({}); {} event(s) wait for the next attempt",
                        ids.get(sent), sendFailed.toString(), ids.size() - sent);
            }
            if (sent > 0) {
                try (PreparedStatement del = c.prepareStatement("DELETE FROM rollout_events WHERE id = ?")) {
                    for (int i = 0; i < sent; i++) {
                        del.setLong(1, ids.get(i));
                        del.addBatch();
                    }
                    del.executeBatch();
                }
            }
            return sent;
        } catch (SQLException e) {
            throw new StoreException("cannot publish rollout events", e);
        }
    }

    /** Events not yet sent. */
    public long pending() {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM rollout_events");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new StoreException("cannot count rollout events", e);
        }
    }

    void rollout(Connection c, String rolloutId, String from, String to, String reason) throws SQLException {
        insert(c, rolloutId, body("rollout", rolloutId, null, null, from, to, reason));
    }

    void alert(Connection c, String rolloutId, String to, String reason) throws SQLException {
        insert(c, rolloutId, body("alert", rolloutId, null, null, null, to, reason));
    }

    void group(Connection c, String rolloutId, int group, String from, String to, String reason) throws SQLException {
        insert(c, rolloutId, body("group", rolloutId, group, null, from, to, reason));
    }

    void assignment(Connection c, String rolloutId, int group, String deviceId, String from, String to, String reason)
            throws SQLException {
        insert(c, rolloutId, body("assignment", rolloutId, group, deviceId, from, to, reason));
    }

    /**
     * One assignment event per row of {@code rollout_assignments a} of {@code rolloutId} matching
     * {@code where} (over alias {@code a}), {@code from} being the row's current state: called just
     * before the UPDATE that changes them, so no assignment is ever loaded into memory.
     */
    void assignmentsWhere(Connection c, String rolloutId, String to, String reason, String where, Object... params)
            throws SQLException {
        String tail = "\",\"to\":" + quote(to) + ",\"reason\":" + quote(reason) + ",\"at\":"
                + quote(clock.instant().toString()) + "}";
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO rollout_events (at, rollout_id, body) "
                + "SELECT ?, a.rollout_id, '{\"type\":\"assignment\",\"rolloutId\":\"' || a.rollout_id || "
                + "'\",\"group\":' || CAST(a.group_no AS VARCHAR(11)) || ',\"deviceId\":\"' || a.device_id || "
                + "'\",\"from\":\"' || a.state || CAST(? AS VARCHAR(400)) "
                + "FROM rollout_assignments a WHERE a.rollout_id = ? AND (" + where + ") ORDER BY a.group_no, a.position")) {
            ps.setObject(1, Database.timestamp(clock.instant()));
            ps.setString(2, tail);
            ps.setString(3, rolloutId);
            for (int i = 0; i < params.length; i++) {
                ps.setObject(4 + i, params[i]);
            }
            ps.executeUpdate();
        }
    }

    private void insert(Connection c, String rolloutId, String body) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO rollout_events (at, rollout_id, body) VALUES (?, ?, ?)")) {
            ps.setObject(1, Database.timestamp(clock.instant()));
            ps.setString(2, rolloutId);
            ps.setString(3, Database.cut(body, 2000));
            ps.executeUpdate();
        }
    }

    private String body(String type, String rolloutId, Integer group, String deviceId, String from, String to,
            String reason) {
        return "{\"type\":" + quote(type) + ",\"rolloutId\":" + quote(rolloutId) + ",\"group\":"
                + (group == null ? "null" : group.toString()) + ",\"deviceId\":" + quote(deviceId) + ",\"from\":"
                + quote(from) + ",\"to\":" + quote(to) + ",\"reason\":" + quote(reason) + ",\"at\":"
                + quote(clock.instant().toString()) + "}";
    }

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
