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
import java.util.Base64;
import java.util.HexFormat;

/**
 * First-path sessions. A session has a public id and a bearer token of 256 random bits; only the
 * token's SHA-256 is stored. A session lives {@code ttl} after its creation or last refresh, and
 * never longer than {@code maxLifetime} after creation.
 */
public class SessionStore {

    /** An authenticated session, as the stage after authentication sees it. */
    public record Session(String sessionId, String userId, Role role, Instant expiresAt) {
    }

    private final Database database;
    private final Clock clock;
    private final Duration ttl;
    private final Duration maxLifetime;
    private final SecureRandom random = new SecureRandom();

    public SessionStore(Database database, Clock clock, Duration ttl, Duration maxLifetime) {
        this.database = database;
        this.clock = clock;
        this.ttl = ttl;
        this.maxLifetime = maxLifetime;
    }

    /** Opens a session for an authenticated user and returns its one-time visible token. */
    public SessionResponse open(String userId, Role role) {
        String sessionId = randomText(16);
        String token = randomText(32);
        Instant now = clock.instant();
        Instant maxExpiry = now.plus(maxLifetime);
        Instant expiry = min(now.plus(ttl), maxExpiry);
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO sessions (session_id, token_sha256, user_id, "
                        + "created_at, expires_at, max_expires_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, sessionId);
            ps.setString(2, sha256(token));
            ps.setString(3, userId);
            ps.setObject(4, Database.timestamp(now));
            ps.setObject(5, Database.timestamp(expiry));
            ps.setObject(6, Database.timestamp(maxExpiry));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot open session", e);
        }
        return new SessionResponse(sessionId, token, expiry, userId, role.dbValue());
    }

    /**
     * The live session of {@code token}.
     *
     * @throws ProblemException {@code invalid-token} for a token no session has (forged, closed
     *                          long ago) and {@code session-expired} for an expired or closed one
     */
    public Session resolve(String token) {
        if (token == null || token.length() < 16 || token.length() > 128) {
            throw new ProblemException(ProblemType.INVALID_TOKEN, "the session token is not valid");
        }
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("SELECT s.session_id, s.user_id, u.role, s.expires_at, "
                        + "s.closed_at FROM sessions s JOIN users u ON u.user_id = s.user_id WHERE s.token_sha256 = ?")) {
            ps.setString(1, sha256(token));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new ProblemException(ProblemType.INVALID_TOKEN, "the session token is not valid");
                }
                Instant expiresAt = rs.getObject(4, OffsetDateTime.class).toInstant();
                if (rs.getObject(5, OffsetDateTime.class) != null) {
                    throw new ProblemException(ProblemType.SESSION_EXPIRED, "the session was closed: log in again");
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
                        "UPDATE sessions SET closed_at = ? WHERE session_id = ? AND closed_at IS NULL")) {
            ps.setObject(1, Database.timestamp(clock.instant()));
            ps.setString(2, sessionId);
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
