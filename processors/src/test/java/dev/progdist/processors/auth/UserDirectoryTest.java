package dev.progdist.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.IdConflictException;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.processors.testing.TestDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class UserDirectoryTest {

    /** One database for the class (opening and migrating one costs more than the tests); emptied per test. */
    @TempDir
    static Path dir;

    private static Database db;
    private MutableClock clock;
    private PasswordHasher hasher;
    private UserDirectory users;

    @BeforeAll
    static void openDatabase() {
        db = TestDatabases.open(dir);
    }

    @AfterAll
    static void closeDatabase() {
        db.close();
    }

    @BeforeEach
    void setUp() throws SQLException {
        try (Connection c = db.connection(); var st = c.createStatement()) {
            st.executeUpdate("DELETE FROM sessions");
            st.executeUpdate("DELETE FROM users");
        }
        clock = new MutableClock();
        hasher = new PasswordHasher(1024, 1, 1);
        users = new UserDirectory(db, hasher, clock);
    }

    @Test
    void addThenFind() {
        users.addUser("alice", "alice-secret".toCharArray(), Role.USER, false);
        users.addUser("olga.op@example-1_x", "olga-secret".toCharArray(), Role.OPERATOR, false);

        UserDirectory.StoredUser alice = users.find("alice").orElseThrow();
        assertThat(alice.userId()).isEqualTo("alice");
        assertThat(alice.role()).isEqualTo(Role.USER);
        assertThat(users.find("olga.op@example-1_x").orElseThrow().role()).isEqualTo(Role.OPERATOR);
        assertThat(users.find("bob")).isEmpty();
        // IDs are exact: no case folding that would merge two users
        assertThat(users.find("Alice")).isEmpty();
        assertThat(createdAt("alice").toInstant()).isEqualTo(clock.instant());
    }

    /** Only a slow salted hash of the secret is stored, and it is the secret's. */
    @Test
    void storedHashIsNotThePasswordAndVerifies() throws SQLException {
        users.addUser("alice", "alice-secret".toCharArray(), Role.USER, false);
        String stored = users.find("alice").orElseThrow().passwordHash();
        assertThat(stored).startsWith("$argon2id$").doesNotContain("alice-secret");
        assertThat(hasher.verify("alice-secret".toCharArray(), stored)).isTrue();
        assertThat(hasher.verify("alice-secreT".toCharArray(), stored)).isFalse();
        try (Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement("SELECT * FROM users");
                ResultSet rs = ps.executeQuery()) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                for (int i = 1; i <= n; i++) {
                    assertThat(String.valueOf(rs.getObject(i))).doesNotContain("alice-secret");
                }
            }
        }
        assertThat(users.find("alice").orElseThrow().toString()).doesNotContain(stored);
    }

    @Test
    void duplicateWithoutReplaceIsRefusedAndChangesNothing() {
        users.addUser("alice", "first-secret".toCharArray(), Role.USER, false);
        assertThatThrownBy(() -> users.addUser("alice", "second-secret".toCharArray(), Role.OPERATOR, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already exists");
        UserDirectory.StoredUser alice = users.find("alice").orElseThrow();
        assertThat(alice.role()).isEqualTo(Role.USER);
        assertThat(hasher.verify("first-secret".toCharArray(), alice.passwordHash())).isTrue();
        assertThat(hasher.verify("second-secret".toCharArray(), alice.passwordHash())).isFalse();
    }

    @Test
    void replaceChangesSecretAndRole() {
        users.addUser("alice", "first-secret".toCharArray(), Role.USER, false);
        OffsetDateTime created = createdAt("alice");
        clock.advance(java.time.Duration.ofHours(1));
        users.addUser("alice", "second-secret".toCharArray(), Role.OPERATOR, true);
        UserDirectory.StoredUser alice = users.find("alice").orElseThrow();
        assertThat(alice.role()).isEqualTo(Role.OPERATOR);
        assertThat(hasher.verify("second-secret".toCharArray(), alice.passwordHash())).isTrue();
        assertThat(hasher.verify("first-secret".toCharArray(), alice.passwordHash())).isFalse();
        assertThat(createdAt("alice")).isEqualTo(created);
    }

    /**
     * IDs differing only in case are refused (they would collide on a case-insensitive file
     * system), by the code with a clear message and by the database's index; the exact ID may
     * still be replaced.
     */
    @Test
    void anIdThatDiffersOnlyInCaseIsRefused() throws SQLException {
        users.addUser("alice", "first-secret".toCharArray(), Role.USER, false);
        for (String variant : new String[] {"Alice", "ALICE"}) {
            assertThatThrownBy(() -> users.addUser(variant, "other-secret".toCharArray(), Role.USER, false))
                    .isInstanceOf(IdConflictException.class).hasMessageContaining("'alice'");
            assertThatThrownBy(() -> users.addUser(variant, "other-secret".toCharArray(), Role.USER, true))
                    .isInstanceOf(IdConflictException.class);
        }
        assertThat(users.addUser("alice", "second-secret".toCharArray(), Role.USER, true).created()).isFalse();
        assertThat(users.find("Alice")).isEmpty();
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO users (user_id, password_hash, role, created_at) VALUES ('aLiCe', 'x', 'user', ?)")) {
            ps.setObject(1, OffsetDateTime.now());
            assertThatThrownBy(ps::executeUpdate).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(IdConflictException.isFoldedUniqueViolation((SQLException) e)).isTrue());
        }
    }

    @Test
    void replaceOfAMissingUserAddsIt() {
        users.addUser("alice", "secret".toCharArray(), Role.USER, true);
        assertThat(users.find("alice")).isPresent();
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", // 65 characters
        "alice smith", " alice", "alice ", ".alice", "-alice", "_alice", "@alice", "\u00e5lice", "ali\u00e7e",
        "\u0430lice", // Cyrillic a: a homoglyph of alice
        "alice\n", "alice\u0000", "../alice", "alice/bob", "alice\\bob", "alice'--", "al%ce", "alice;",
        "\uff41lice", "\u0661\u0662" // full-width a, Arabic-Indic digits
    })
    void invalidUserIdsAreRefused(String userId) {
        assertThat(UserDirectory.isValidUserId(userId)).isFalse();
        assertThatThrownBy(() -> users.addUser(userId, "secret".toCharArray(), Role.USER, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid user ID");
        assertThat(users.find(userId)).isEmpty();
        assertThat(userCount()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "Z", "7", "alice", "alice.smith@example.org", "a-b_c.d@e",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 64 characters */})
    void validUserIdsAreAccepted(String userId) {
        assertThat(UserDirectory.isValidUserId(userId)).isTrue();
        users.addUser(userId, "secret".toCharArray(), Role.USER, false);
        assertThat(users.find(userId)).isPresent();
    }

    @Test
    void invalidSecretIsRefusedAndNoUserIsAdded() {
        assertThatThrownBy(() -> users.addUser("alice", new char[0], Role.USER, false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> users.addUser("alice", new char[PasswordHasher.MAX_PASSWORD_CHARS + 1], Role.USER,
                false)).isInstanceOf(IllegalArgumentException.class);
        assertThat(users.find("alice")).isEmpty();
    }

    // --- helpers ---

    private int userCount() {
        try (Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM users");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private OffsetDateTime createdAt(String userId) {
        try (Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement("SELECT created_at FROM users WHERE user_id = ?")) {
            ps.setString(1, userId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getObject(1, OffsetDateTime.class);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
