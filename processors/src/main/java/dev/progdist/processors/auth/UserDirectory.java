package dev.progdist.processors.auth;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The users of the first path. Stores only Argon2id hashes of their secrets.
 *
 * @see PasswordHasher
 */
public class UserDirectory {

    private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");

    /** A stored user: ID, role and the password hash (never leaves the server). */
    public record StoredUser(String userId, Role role, String passwordHash) {
        @Override
        public String toString() {
            return "StoredUser[userId=" + userId + ", role=" + role + "]";
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

    /**
     * Adds a user, or replaces the secret and role of an existing one when {@code replace}.
     *
     * @throws IllegalArgumentException for an invalid user ID or secret, or an existing user
     *                                  without {@code replace}
     * @throws StoreException           if the database fails
     */
    public void addUser(String userId, char[] secret, Role role, boolean replace) {
        if (!isValidUserId(userId)) {
            throw new IllegalArgumentException(
                    "invalid user ID: use 1 to 64 characters of A-Z a-z 0-9 . _ @ -, starting with a letter or digit");
        }
        String hash = hasher.hash(secret);
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM users WHERE user_id = ? FOR UPDATE")) {
                ps.setString(1, userId);
                try (ResultSet rs = ps.executeQuery()) {
                    exists = rs.next();
                }
            }
            if (exists && !replace) {
                c.rollback();
                throw new IllegalArgumentException("user '" + userId + "' already exists (use --replace to change it)");
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
            c.commit();
        } catch (SQLException e) {
            throw new StoreException("cannot store user", e);
        }
    }

    /** A user as operators see it: no hash. */
    public record UserSummary(String userId, String role, java.time.Instant createdAt) {
    }

    /** All users, ordered by ID, at most {@code limit}. */
    public java.util.List<UserSummary> list(int limit) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT user_id, role, created_at FROM users ORDER BY user_id")) {
            ps.setMaxRows(limit);
            java.util.List<UserSummary> out = new java.util.ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new UserSummary(rs.getString(1), rs.getString(2),
                            rs.getObject(3, java.time.OffsetDateTime.class).toInstant()));
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
                PreparedStatement ps = c.prepareStatement("SELECT role, password_hash FROM users WHERE user_id = ?")) {
            ps.setString(1, userId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new StoredUser(userId, Role.parse(rs.getString(1)), rs.getString(2)));
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read user", e);
        }
    }
}
