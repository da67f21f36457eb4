package dev.progdist.processors.auth;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.IdConflictException;
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
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The users of the first path. Stores only Argon2id hashes of their secrets. User IDs are exact
 * (case-sensitive) at login, but two IDs that differ only in case cannot both exist.
 *
 * @see PasswordHasher
 */
public class UserDirectory {

    private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");

    /** A stored user: ID, role and the password hash (never leaves the server). */
    public record StoredUser(String userId, Role role, String passwordHash, boolean disabled) {
        @Override
        public String toString() {
            return "StoredUser[userId=" + userId + ", role=" + role + ", disabled=" + disabled + "]";
        }
    }

    private final Database database;
    private final PasswordHasher hasher;
    private final Clock clock;

    public UserDirectory(Database database, PasswordHasher hasher, Clock clock) {
        this.database = database;
        this.hasher = hasher;
        this.clock = clock;
    }

    /** Shortest secret a person may choose (CLI and API); the store itself accepts any non-empty one. */
    public static final int MIN_SECRET_CHARS = 12;

    /** Why {@code secret} is not acceptable as a new user's secret, or {@code null} if it is. */
    public static String secretPolicyViolation(char[] secret) {
        if (secret == null || secret.length < MIN_SECRET_CHARS || secret.length > PasswordHasher.MAX_PASSWORD_CHARS) {
            return "a secret must have " + MIN_SECRET_CHARS + " to " + PasswordHasher.MAX_PASSWORD_CHARS + " characters";
        }
        return null;
    }

    public static boolean isValidUserId(String userId) {
        return userId != null && USER_ID.matcher(userId).matches();
    }

    /** What {@link #addUser} did: {@code created} or replaced, and the sessions it ended. */
    public record Stored(boolean created, List<String> endedSessions) {
    }

    /**
     * Adds a user, or replaces the secret and role of an existing one when {@code replace}. A
     * replacement ends all of the user's sessions in the same transaction (their tokens stop
     * working at once; the caller ends their channels, see {@link UserAdministration}).
     *
     * @throws IllegalArgumentException for an invalid user ID or secret, or an existing user
     *                                  without {@code replace}
     * @throws IdConflictException      if another user's ID differs from {@code userId} only in case
     * @throws StoreException           if the database fails
     */
    public Stored addUser(String userId, char[] secret, Role role, boolean replace) {
        if (!isValidUserId(userId)) {
            throw new IllegalArgumentException(
                    "invalid user ID: use 1 to 64 characters of A-Z a-z 0-9 . _ @ -, starting with a letter or digit");
        }
        String hash = hasher.hash(secret);
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                boolean exists = lock(c, userId);
                if (exists && !replace) {
                    throw new IllegalArgumentException("user '" + userId + "' already exists (use --replace to change it)");
                }
                if (!exists) {
                    String other = existingFolded(c, userId);
                    if (other != null) {
                        throw new IdConflictException("user", userId, other);
                    }
                }
                String sql = exists
                        ? "UPDATE users SET password_hash = ?, role = ? WHERE user_id = ?"
                        : "INSERT INTO users (password_hash, role, user_id, created_at) VALUES (?, ?, ?, ?)";
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setString(1, hash);
                    ps.setString(2, role.dbValue());
                    ps.setString(3, userId);
                    if (!exists) {
                        ps.setObject(4, Database.timestamp(clock.instant()));
                    }
                    ps.executeUpdate();
                }
                List<String> ended = exists
                        ? SessionStore.endAll(c, userId, SessionStore.EndReason.SECRET_REPLACED, clock.instant())
                        : List.of();
                c.commit();
                return new Stored(!exists, ended);
            } catch (RuntimeException | SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            if (IdConflictException.isFoldedUniqueViolation(e)) {
                // a parallel add of the other spelling won the race
                throw new IdConflictException("user", userId, "(another spelling)");
            }
            throw new StoreException("cannot store user", e);
        }
    }

    /**
     * Disables ({@code disabled}) or enables a user. Disabling ends all of the user's sessions in
     * the same transaction. Returns the sessions ended, or empty if there is no such user.
     */
    public Optional<List<String>> setDisabled(String userId, boolean disabled) {
        return changeUser(userId, "cannot change user", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE users SET disabled_at = ? WHERE user_id = ?")) {
                ps.setObject(1, disabled ? Database.timestamp(clock.instant()) : null);
                ps.setString(2, userId);
                ps.executeUpdate();
            }
            return disabled ? SessionStore.endAll(c, userId, SessionStore.EndReason.USER_DISABLED, clock.instant())
                    : List.of();
        });
    }

    /** Ends all of a user's sessions. Returns the sessions ended, or empty if there is no such user. */
    public Optional<List<String>> revokeSessions(String userId) {
        return changeUser(userId, "cannot revoke sessions",
                c -> SessionStore.endAll(c, userId, SessionStore.EndReason.REVOKED, clock.instant()));
    }

    private interface UserChange {
        List<String> apply(Connection c) throws SQLException;
    }

    /** Runs {@code change} in one transaction holding the user's row; empty if there is no such user. */
    private Optional<List<String>> changeUser(String userId, String failure, UserChange change) {
        if (!isValidUserId(userId)) {
            return Optional.empty();
        }
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                if (!lock(c, userId)) {
                    c.rollback();
                    return Optional.empty();
                }
                List<String> ended = change.apply(c);
                c.commit();
                return Optional.of(ended);
            } catch (RuntimeException | SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException(failure, e);
        }
    }

    private static boolean lock(Connection c, String userId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM users WHERE user_id = ? FOR UPDATE")) {
            ps.setString(1, userId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** The ID of another user equal to {@code userId} under case folding, or null. */
    private static String existingFolded(Connection c, String userId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT user_id FROM users WHERE user_id_folded = ? AND user_id <> ?")) {
            ps.setString(1, userId.toLowerCase(Locale.ROOT));
            ps.setString(2, userId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** A user as operators see it: no hash. */
    public record UserSummary(String userId, String role, Instant createdAt, boolean disabled) {
    }

    /** All users, ordered by ID, at most {@code limit}. */
    public List<UserSummary> list(int limit) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT user_id, role, created_at, disabled_at FROM users ORDER BY user_id")) {
            ps.setMaxRows(limit);
            List<UserSummary> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new UserSummary(rs.getString(1), rs.getString(2),
                            rs.getObject(3, OffsetDateTime.class).toInstant(), rs.getObject(4, OffsetDateTime.class) != null));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot list users", e);
        }
    }

    public Optional<StoredUser> find(String userId) {
        if (!isValidUserId(userId)) {
            return Optional.empty();
        }
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT role, password_hash, disabled_at FROM users WHERE user_id = ?")) {
            ps.setString(1, userId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new StoredUser(userId, Role.parse(rs.getString(1)), rs.getString(2),
                        rs.getObject(3, OffsetDateTime.class) != null));
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read user", e);
        }
    }
}
