package dev.progdist.processors.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;

/**
 * Append-only audit trail in the database. Entries name who did what to which subject; they never
 * hold secrets (no passwords, tokens or keys), and over-long values are cut to the column size.
 */
public class AuditLog {

    private final Database database;
    private final Clock clock;

    public AuditLog(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /** Records one event; {@code actor}, {@code subject} and {@code detail} may be null. */
    public void record(String event, String actor, String subject, String detail) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO audit_events (at, event, actor, subject, detail) VALUES (?, ?, ?, ?, ?)")) {
            ps.setObject(1, Database.timestamp(clock.instant()));
            ps.setString(2, cut(event, 64));
            ps.setString(3, cut(actor, 64));
            ps.setString(4, cut(subject, 128));
            ps.setString(5, cut(detail, 512));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot write audit event " + event, e);
        }
    }

    /** Records an event queued as JSON text by an {@link AuditTrail} ({@code event, actor, subject, detail}). */
    public void recordJson(String json) {
        java.util.Map<?, ?> m;
        try {
            m = dev.progdist.protocol.json.Json.mapper().readValue(json, java.util.Map.class);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("malformed audit event", e);
        }
        Object event = m.get("event");
        record(event == null ? "unknown" : event.toString(), str(m.get("actor")), str(m.get("subject")),
                str(m.get("detail")));
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
