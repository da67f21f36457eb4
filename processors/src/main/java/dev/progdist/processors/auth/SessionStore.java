package dev.progdist.processors.auth;

import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.StoreException;
import dev.progdist.protocol.wire.ProblemType;
import dev.progdist.protocol.wire.SessionResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * First-path sessions. A session has a public id and a bearer token of 256 random bits; only the
 * token's SHA-256 is stored. A session lives {@code ttl} after its creation or last refresh, and
 * never longer than {@code maxLifetime} after creation. A user may hold at most a set number of live
 * sessions; replacing a user's secret, disabling the user or revoking their sessions ends them all
 * ({@link UserDirectory}).
 */
public class SessionStore {

    /** An authenticated session, as the stage after authentication sees it. */
    public record Session(String sessionId, String userId, Role role, Instant expiresAt) {
    }

    /** Why a session ended before its expiry ({@code sessions.closed_reason}). */
    public enum EndReason {
        LOGOUT("logout", "the session was closed: log in again"),
        SECRET_REPLACED("secret-replaced", "the session was ended because the user's secret was replaced: log in again"),
        USER_DISABLED("user-disabled", "the session was ended because the user was disabled"),
        REVOKED("revoked", "the session was ended by an operator: log in again");

        private final String dbValue;
        private final String message;

        EndReason(String dbValue, String message) {
            this.dbValue = dbValue;
            this.message = message;
        }

        public String dbValue() {
            return dbValue;
        }

        static String messageFor(String dbValue) {
            for (EndReason r : values()) {
                if (r.dbValue.equals(dbValue)) {
                    return r.message;
                }
            }
            return LOGOUT.message;
        }
    }

    private final Database database;
    private final Clock clock;
    private final Duration ttl;
    private final Duration maxLifetime;
    private final int maxPerUser;
    private final SecureRandom random = new SecureRandom();

    /** A store without a cap on live sessions per user. */
    public SessionStore(Database database, Clock clock, Duration ttl, Duration maxLifetime) {
        this(database, clock, ttl, maxLifetime, Integer.MAX_VALUE);
    }

    /** A store that refuses a user's new session while {@code maxPerUser} of theirs are live. */
    public SessionStore(Database database, Clock clock, Duration ttl, Duration maxLifetime, int maxPerUser) {
        if (maxPerUser < 1) {
            throw new IllegalArgumentException("at least one session per user must be allowed");
        }
        this.database = database;
        this.clock = clock;
        this.ttl = ttl;
        this.maxLifetime = maxLifetime;
        this.maxPerUser = maxPerUser;
    }

    /** Opens a session for an authenticated user and returns its one-time visible token. */
    public SessionResponse open(String userId, Role role) {
        return open(userId, role, null);
    }

    /**
     * Opens a session for a user whose secret was just verified against {@code verifiedHash}
     * (null: do not compare). One short transaction holds the user's row, so that a secret
     * replaced, a user disabled or sessions revoked in between cannot be undone by this login, and
     * parallel logins cannot exceed the cap.
     *
     * @throws ProblemException {@code bad-credentials} if the user is gone or its secret changed
     *                          since it was verified, {@code account-disabled} for a disabled user,
     *                          {@code too-many-sessions} (with the time until the soonest of them
     *                          expires) when the user already has the maximum of live sessions
     */
    public SessionResponse open(String userId, Role role, String verifiedHash) {
        String sessionId = randomText(16);
        String token = randomText(32);
        Instant now = clock.instant();
        Instant maxExpiry = now.plus(maxLifetime);
        Instant expiry = min(now.plus(ttl), maxExpiry);
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT password_hash, disabled_at FROM users WHERE user_id = ? FOR UPDATE")) {
                    ps.setString(1, userId);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next() || verifiedHash != null && !verifiedHash.equals(rs.getString(1))) {
                            throw new ProblemException(ProblemType.BAD_CREDENTIALS, "user ID or secret is wrong");
                        }
                        if (rs.getObject(2, OffsetDateTime.class) != null) {
                            throw new ProblemException(ProblemType.ACCOUNT_DISABLED, "this user is disabled");
                        }
                    }
                }
                if (maxPerUser < Integer.MAX_VALUE) {
                    try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*), MIN(expires_at) FROM sessions "
                            + "WHERE user_id = ? AND closed_at IS NULL AND expires_at > ?")) {
                        ps.setString(1, userId);
                        ps.setObject(2, Database.timestamp(now));
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            if (rs.getInt(1) >= maxPerUser) {
                                Instant soonest = rs.getObject(2, OffsetDateTime.class).toInstant();
                                throw new ProblemException(ProblemType.TOO_MANY_SESSIONS, "this user already has "
                                        + maxPerUser + " open sessions: close one (DELETE /api/v1/sessions/{sid}) or "
                                        + "wait until one expires", Duration.between(now, soonest));
                            }
                        }
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO sessions (session_id, token_sha256, "
                        + "user_id, created_at, expires_at, max_expires_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                    ps.setString(1, sessionId);
                    ps.setString(2, sha256(token));
                    ps.setString(3, userId);
                    ps.setObject(4, Database.timestamp(now));
                    ps.setObject(5, Database.timestamp(expiry));
                    ps.setObject(6, Database.timestamp(maxExpiry));
                    ps.executeUpdate();
                }
                c.commit();
            } catch (RuntimeException | SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot open session", e);
        }
        return new SessionResponse(sessionId, token, expiry, userId, role.dbValue());
    }

    /**
     * The live session of {@code token}.
     *
     * @throws ProblemException {@code invalid-token} for a token no session has (forged, closed
     *                          long ago) and {@code session-expired} for an expired or ended one
     *                          (the detail says why it ended)
     */
    public Session resolve(String token) {
        if (token == null || token.length() < 16 || token.length() > 128) {
            throw new ProblemException(ProblemType.INVALID_TOKEN, "the session token is not valid");
        }
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("SELECT s.session_id, s.user_id, u.role, s.expires_at, "
                        + "s.closed_at, s.closed_reason, u.disabled_at FROM sessions s "
                        + "JOIN users u ON u.user_id = s.user_id WHERE s.token_sha256 = ?")) {
            ps.setString(1, sha256(token));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new ProblemException(ProblemType.INVALID_TOKEN, "the session token is not valid");
                }
                Instant expiresAt = rs.getObject(4, OffsetDateTime.class).toInstant();
                if (rs.getObject(5, OffsetDateTime.class) != null) {
                    throw new ProblemException(ProblemType.SESSION_EXPIRED, EndReason.messageFor(rs.getString(6)));
                }
                if (rs.getObject(7, OffsetDateTime.class) != null) {
                    // disabling ends every session; this only covers a race with that transaction
                    throw new ProblemException(ProblemType.SESSION_EXPIRED, EndReason.USER_DISABLED.message);
                }
                if (!clock.instant().isBefore(expiresAt)) {
                    throw new ProblemException(ProblemType.SESSION_EXPIRED, "the session expired at " + expiresAt
                            + ": log in again");
                }
                return new Session(rs.getString(1), rs.getString(2), Role.parse(rs.getString(3)), expiresAt);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read session", e);
        }
    }

    /**
     * Ends every session of {@code userId} not yet closed, inside the caller's transaction (which
     * should hold the user's row, as {@link #open} does, so that no session is opened meanwhile).
     * Returns the IDs of the sessions that were still live.
     */
    static List<String> endAll(Connection c, String userId, EndReason reason, Instant now) throws SQLException {
        List<String> live = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT session_id FROM sessions WHERE user_id = ? AND closed_at IS NULL AND expires_at > ?")) {
            ps.setString(1, userId);
            ps.setObject(2, Database.timestamp(now));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    live.add(rs.getString(1));
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE sessions SET closed_at = ?, closed_reason = ? WHERE user_id = ? AND closed_at IS NULL")) {
            ps.setObject(1, Database.timestamp(now));
            ps.setString(2, reason.dbValue());
            ps.setString(3, userId);
            ps.executeUpdate();
        }
        return live;
    }

    /** How many sessions are live (not closed, not expired), of every user and every instance. */
    public long countLive() {
        try (Connection c = database.connection(); PreparedStatement ps = c.prepareStatement(
                "SELECT COUNT(*) FROM sessions WHERE closed_at IS NULL AND expires_at > ?")) {
            ps.setObject(1, Database.timestamp(clock.instant()));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot count the live sessions", e);
        }
    }

        /** Which of {@code sessionIds} are still live (not closed, not expired). */
    public Set<String> live(Collection<String> sessionIds) {
        Set<String> out = new HashSet<>();
        List<String> ids = new ArrayList<>(sessionIds);
        Instant now = clock.instant();
        try (Connection c = database.connection()) {
            for (int from = 0; from < ids.size(); from += 200) {
                List<String> chunk = ids.subList(from, Math.min(ids.size(), from + 200));
                String marks = String.join(", ", java.util.Collections.nCopies(chunk.size(), "?"));
                try (PreparedStatement ps = c.prepareStatement("SELECT s.session_id FROM sessions s "
                        + "JOIN users u ON u.user_id = s.user_id WHERE s.closed_at IS NULL AND s.expires_at > ? "
                        + "AND u.disabled_at IS NULL AND s.session_id IN (" + marks + ")")) {
                    ps.setObject(1, Database.timestamp(now));
                    for (int i = 0; i < chunk.size(); i++) {
                        ps.setString(i + 2, chunk.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.add(rs.getString(1));
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read sessions", e);
        }
        return out;
    }

    /** Extends a live session by {@code ttl} (capped at its maximum lifetime); returns the new expiry. */
    public Instant refresh(Session session) {
        Instant now = clock.instant();
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("SELECT max_expires_at FROM sessions WHERE session_id = ?")) {
            ps.setString(1, session.sessionId());
            Instant max;
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new ProblemException(ProblemType.INVALID_TOKEN, "the session token is not valid");
                }
                max = rs.getObject(1, OffsetDateTime.class).toInstant();
            }
            Instant expiry = min(now.plus(ttl), max);
            try (PreparedStatement up = c.prepareStatement("UPDATE sessions SET expires_at = ? "
                    + "WHERE session_id = ? AND closed_at IS NULL AND expires_at > ?")) {
                up.setObject(1, Database.timestamp(expiry));
                up.setString(2, session.sessionId());
                up.setObject(3, Database.timestamp(now));
                if (up.executeUpdate() == 0) {
                    // closed or expired since it was resolved: never revive it
                    throw new ProblemException(ProblemType.SESSION_EXPIRED, "the session has ended: log in again");
                }
            }
            return expiry;
        } catch (SQLException e) {
            throw new StoreException("cannot refresh session", e);
        }
    }

    /** Closes a session; its token stops working at once. */
    public void close(String sessionId) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement(
                        "UPDATE sessions SET closed_at = ?, closed_reason = ? WHERE session_id = ? AND closed_at IS NULL")) {
            ps.setObject(1, Database.timestamp(clock.instant()));
            ps.setString(2, EndReason.LOGOUT.dbValue());
            ps.setString(3, sessionId);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot close session", e);
        }
    }

    /** Deletes sessions that expired more than {@code keep} ago; returns how many. */
    public int purgeExpired(Duration keep) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM sessions WHERE expires_at < ?")) {
            ps.setObject(1, Database.timestamp(clock.instant().minus(keep)));
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot purge sessions", e);
        }
    }

    private String randomText(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
