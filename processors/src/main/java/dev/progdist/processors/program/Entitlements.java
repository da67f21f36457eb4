package dev.progdist.processors.program;

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
import java.util.NoSuchElementException;

/**
 * Which user may receive which program (every version of it). Operators grant and revoke; the
 * delivery stage asks {@link #isEntitled} before it sends anything.
 */
public class Entitlements {

    /** One grant. */
    public record Grant(String userId, String programId, String grantedBy, Instant grantedAt) {
    }

    private static final String COLUMNS = "user_id, program_id, granted_by, granted_at";

    private final Database database;
    private final Clock clock;

    public Entitlements(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /**
     * Entitles {@code userId} to {@code programId}. Idempotent: an existing grant is kept as it was
     * (its first granter and time) and returned.
     *
     * @throws NoSuchElementException if there is no such user
     */
    public Grant grant(String programId, String userId, String grantedBy) {
        try (Connection c = database.connection()) {
            try (PreparedStatement u = c.prepareStatement("SELECT 1 FROM users WHERE user_id = ?")) {
                u.setString(1, userId);
                try (ResultSet rs = u.executeQuery()) {
                    if (!rs.next()) {
                        throw new NoSuchElementException("no user '" + userId + "'");
                    }
                }
            }
            if (find(c, userId, programId) == null) {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO entitlements (" + COLUMNS + ") VALUES (?, ?, ?, ?)")) {
                    ps.setString(1, userId);
                    ps.setString(2, programId);
                    ps.setString(3, grantedBy);
                    ps.setObject(4, Database.timestamp(clock.instant()));
                    ps.executeUpdate();
                } catch (SQLException e) {
                    if (!ProgramCatalog.isUniqueViolation(e)) {
                        throw e;
                    }
                    // granted concurrently: the same outcome
                }
            }
            return find(c, userId, programId);
        } catch (SQLException e) {
            throw new StoreException("cannot grant program", e);
        }
    }

    /** Removes the grant; false if there was none. */
    public boolean revoke(String programId, String userId) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement(
                        "DELETE FROM entitlements WHERE user_id = ? AND program_id = ?")) {
            ps.setString(1, userId);
            ps.setString(2, programId);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new StoreException("cannot revoke program", e);
        }
    }

    public boolean isEntitled(String userId, String programId) {
        try (Connection c = database.connection()) {
            return find(c, userId, programId) != null;
        } catch (SQLException e) {
            throw new StoreException("cannot read entitlements", e);
        }
    }

    /** The grants of one program, by user ID. */
    public List<Grant> grants(String programId) {
        return list("program_id = ?", programId);
    }

    /** The grants of one user, by program ID. */
    public List<Grant> grantsOf(String userId) {
        return list("user_id = ?", userId);
    }

    private List<Grant> list(String where, String arg) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM entitlements WHERE " + where
                        + " ORDER BY user_id, program_id")) {
            ps.setString(1, arg);
            List<Grant> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(grant(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot read entitlements", e);
        }
    }

    private static Grant find(Connection c, String userId, String programId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS
                + " FROM entitlements WHERE user_id = ? AND program_id = ?")) {
            ps.setString(1, userId);
            ps.setString(2, programId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? grant(rs) : null;
            }
        }
    }

    private static Grant grant(ResultSet rs) throws SQLException {
        return new Grant(rs.getString(1), rs.getString(2), rs.getString(3),
                rs.getObject(4, OffsetDateTime.class).toInstant());
    }
}
