package dev.progdist.processors.auth;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Slows down, then locks, repeated failed logins for one user ID, whether or not that user
 * exists. After {@code throttleAfter} consecutive failures each further attempt must wait an
 * exponentially growing delay after the last failure; after {@code lockAfter} failures the ID is
 * locked for {@code lockDuration}. A success clears the count. The state is in the database, so
 * every server instance enforces the same limits.
 *
 * <p>No connection and no row lock is held while a secret is checked (Argon2 takes tens of
 * milliseconds, and the verifier reads the user with a connection of its own): one short read
 * decides, the secret is checked outside any transaction, and one atomic statement records the
 * outcome. Parallel attempts for one ID (compared case-insensitively) are shed in memory first: while
 * one is in progress in this instance, the others are answered {@link Throttled} at once, without
 * touching the database. Two instances racing may each check one guess; every failure is still
 * counted, because the count is incremented in the database, never written from a value read before.
 */
public class LoginThrottle {

    /** Result of one login attempt. */
    public sealed interface Outcome {
    }

    /** The secret was right. */
    public record Accepted() implements Outcome {
    }

    /** The secret (or the user ID) was wrong. */
    public record Rejected() implements Outcome {
    }

    /** Attempt refused without checking the secret: too soon after the last failure. */
    public record Throttled(Duration retryAfter) implements Outcome {
    }

    /**
     * Attempt refused without checking the secret because another attempt for the same ID is in
     * progress in this instance. Not a failure: a gateway renewing its session while its user logs
     * in is no guess; it is answered {@code 503 server-busy}, which clients retry.
     */
    public record Busy(Duration retryAfter) implements Outcome {
    }

    /** Attempt refused without checking the secret: the ID is locked. */
    public record Locked(Duration retryAfter) implements Outcome {
    }

    private final Database database;
    private final Clock clock;
    private final int throttleAfter;
    private final Duration baseDelay;
    private final Duration maxDelay;
    private final int lockAfter;
    private final Duration lockDuration;
    /** The IDs (case-folded) with an attempt in progress in this instance. */
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

    public LoginThrottle(Database database, Clock clock, int throttleAfter, Duration baseDelay, Duration maxDelay,
            int lockAfter, Duration lockDuration) {
        if (throttleAfter < 1 || lockAfter < throttleAfter) {
            throw new IllegalArgumentException("need 1 <= throttleAfter <= lockAfter");
        }
        this.database = database;
        this.clock = clock;
        this.throttleAfter = throttleAfter;
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
        this.lockAfter = lockAfter;
        this.lockDuration = lockDuration;
    }

    /**
     * Runs {@code verifier} for {@code userId} unless the ID is throttled or locked, or another
     * attempt for it is in progress in this instance, and records the result. No connection is
     * held while {@code verifier} runs: it may take its own. If it throws, nothing is recorded.
     */
    public Outcome attempt(String userId, BooleanSupplier verifier) {
        String key = userId.toLowerCase(Locale.ROOT);
        if (!inFlight.add(key)) {
            // shed at once: a second guess in parallel would only queue for the same verdict
            return new Busy(baseDelay);
        }
        try {
            Outcome refused = refusal(userId, clock.instant());
            if (refused != null) {
                return refused;
            }
            if (verifier.getAsBoolean()) {
                clear(userId);
                return new Accepted();
            }
            recordFailure(userId, clock.instant());
            return new Rejected();
        } finally {
            inFlight.remove(key);
        }
    }

    /** Throttled or Locked if the stored state forbids an attempt now, else null (one short read). */
    private Outcome refusal(String userId, Instant now) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT failures, last_failure_at, locked_until FROM login_failures WHERE user_id = ?")) {
            ps.setString(1, userId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                int failures = rs.getInt(1);
                Instant lastFailure = rs.getObject(2, OffsetDateTime.class).toInstant();
                OffsetDateTime lockedUntilValue = rs.getObject(3, OffsetDateTime.class);
                if (lockedUntilValue != null) {
                    Instant lockedUntil = lockedUntilValue.toInstant();
                    // a lock that has run out means a fresh start
                    return now.isBefore(lockedUntil) ? new Locked(Duration.between(now, lockedUntil)) : null;
                }
                if (failures >= throttleAfter) {
                    Instant next = lastFailure.plus(delayAfter(failures));
                    if (now.isBefore(next)) {
                        return new Throttled(Duration.between(now, next));
                    }
                }
                return null;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read login attempts", e);
        }
    }

    private void clear(String userId) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM login_failures WHERE user_id = ?")) {
            ps.setString(1, userId);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot record login attempt", e);
        }
    }

    /**
     * Counts one failure with one atomic statement, so that parallel failures (from other server
     * instances) are never lost: an UPDATE that adds one (starting afresh after a lock that has run
     * out, and locking at lockAfter), or, when the ID has no row yet, an INSERT; if a parallel
     * attempt inserted first, the UPDATE runs again. Autocommit: each statement is its own short
     * transaction, so a failed INSERT aborts nothing on PostgreSQL.
     */
    private void recordFailure(String userId, Instant now) {
        String fresh = "(locked_until IS NOT NULL AND locked_until <= ?)";
        String next = "CASE WHEN " + fresh + " THEN 1 ELSE failures + 1 END";
        String update = "UPDATE login_failures SET failures = " + next + ", last_failure_at = ?, locked_until = "
                + "CASE WHEN locked_until IS NOT NULL AND locked_until > ? THEN locked_until "
                + "WHEN " + next + " >= ? THEN ? ELSE NULL END WHERE user_id = ?";
        Object t = Database.timestamp(now);
        try (Connection c = database.connection()) {
            for (int round = 0; round < 3; round++) {
                try (PreparedStatement ps = c.prepareStatement(update)) {
                    ps.setObject(1, t);
                    ps.setObject(2, t);
                    ps.setObject(3, t);
                    ps.setObject(4, t);
                    ps.setInt(5, lockAfter);
                    ps.setObject(6, Database.timestamp(now.plus(lockDuration)));
                    ps.setString(7, userId);
                    if (ps.executeUpdate() == 1) {
                        return;
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO login_failures "
                        + "(user_id, failures, last_failure_at, locked_until) VALUES (?, 1, ?, ?)")) {
                    ps.setString(1, userId);
                    ps.setObject(2, t);
                    ps.setObject(3, lockAfter <= 1 ? Database.timestamp(now.plus(lockDuration)) : null);
                    ps.executeUpdate();
                    return;
                } catch (SQLException e) {
                    // 23505: a parallel attempt inserted the row first (H2 may report 90131): count on it
                    if (!"23505".equals(e.getSQLState()) && !"90131".equals(e.getSQLState())) {
                        throw e;
                    }
                }
            }
            throw new SQLException("login_failures row for " + userId.length() + "-character ID keeps vanishing");
        } catch (SQLException e) {
            throw new StoreException("cannot record login attempt", e);
        }
    }

    /**
     * Forgets failure counts that are not locked and whose last failure is older than {@code keep}
     * (rows for IDs nobody tries any more, existing or not). Returns how many were removed.
     */
    public int purgeStale(Duration keep) {
        Instant now = clock.instant();
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM login_failures WHERE last_failure_at < ? "
                        + "AND (locked_until IS NULL OR locked_until < ?)")) {
            ps.setObject(1, Database.timestamp(now.minus(keep)));
            ps.setObject(2, Database.timestamp(now));
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot purge login failures", e);
        }
    }

    /** The wait imposed after {@code failures} consecutive failures (at least throttleAfter). */
    Duration delayAfter(int failures) {
        int doublings = Math.min(failures - throttleAfter, 20);
        Duration d = baseDelay.multipliedBy(1L << doublings);
        return d.compareTo(maxDelay) > 0 ? maxDelay : d;
    }
}
