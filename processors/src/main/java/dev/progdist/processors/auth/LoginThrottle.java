package dev.progdist.processors.auth;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.function.BooleanSupplier;

/**
 * Slows down, then locks, repeated failed logins for one user ID, whether or not that user
 * exists. After {@code throttleAfter} consecutive failures each further attempt must wait an
 * exponentially growing delay after the last failure; after {@code lockAfter} failures the ID is
 * locked for {@code lockDuration}. A success clears the count. The state is in the database, so
 * every server instance enforces the same limits, and the row is locked while a secret is checked,
 * so parallel guesses for one ID are serialised.
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
     * Runs {@code verifier} for {@code userId} unless the ID is throttled or locked, and records
     * the result.
     */
    public Outcome attempt(String userId, BooleanSupplier verifier) {
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                Outcome outcome = attempt(c, userId, verifier);
                c.commit();
                return outcome;
            } catch (RuntimeException | SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot record login attempt", e);
        }
    }

    private Outcome attempt(Connection c, String userId, BooleanSupplier verifier) throws SQLException {
        Instant now = clock.instant();
        ensureRow(c, userId, now);
        int failures;
        // the row lock serialises every attempt for this ID, the very first ones included
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT failures, last_failure_at, locked_until FROM login_failures WHERE user_id = ? FOR UPDATE")) {
            ps.setString(1, userId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("login_failures row for the attempt vanished");
                }
                failures = rs.getInt(1);
                Instant lastFailure = rs.getObject(2, OffsetDateTime.class).toInstant();
                OffsetDateTime lockedUntilValue = rs.getObject(3, OffsetDateTime.class);
                if (lockedUntilValue != null) {
                    Instant lockedUntil = lockedUntilValue.toInstant();
                    if (now.isBefore(lockedUntil)) {
                        return new Locked(Duration.between(now, lockedUntil));
                    }
                    failures = 0; // the lock has run out: a fresh start
                } else if (failures >= throttleAfter) {
                    Instant next = lastFailure.plus(delayAfter(failures));
                    if (now.isBefore(next)) {
                        return new Throttled(Duration.between(now, next));
                    }
                }
            }
        }
        if (verifier.getAsBoolean()) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM login_failures WHERE user_id = ?")) {
                ps.setString(1, userId);
                ps.executeUpdate();
            }
            return new Accepted();
        }
        failures++;
        Instant lockedUntil = failures >= lockAfter ? now.plus(lockDuration) : null;
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE login_failures SET failures = ?, last_failure_at = ?, locked_until = ? WHERE user_id = ?")) {
            ps.setInt(1, failures);
            ps.setObject(2, Database.timestamp(now));
            ps.setObject(3, Database.timestamp(lockedUntil));
            ps.setString(4, userId);
            ps.executeUpdate();
        }
        return new Rejected();
    }

    /**
     * Makes sure the ID has a row to lock. A parallel attempt may insert it first: the duplicate
     * key is rolled back to a savepoint, because PostgreSQL aborts the whole transaction otherwise.
     */
    private static void ensureRow(Connection c, String userId, Instant now) throws SQLException {
        try (PreparedStatement exists = c.prepareStatement("SELECT 1 FROM login_failures WHERE user_id = ?")) {
            exists.setString(1, userId);
            try (ResultSet rs = exists.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        Savepoint savepoint = c.setSavepoint();
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO login_failures (user_id, failures, last_failure_at, locked_until) VALUES (?, 0, ?, NULL)")) {
            ps.setString(1, userId);
            ps.setObject(2, Database.timestamp(now));
            ps.executeUpdate();
            c.releaseSavepoint(savepoint);
        } catch (SQLException e) {
            // 23505: duplicate key; H2 reports an uncommitted duplicate as a concurrent update (90131)
            if (!"23505".equals(e.getSQLState()) && !"90131".equals(e.getSQLState())) {
                throw e;
            }
            c.rollback(savepoint); // another attempt created it: lock that one
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
