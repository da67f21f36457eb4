package dev.progdist.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.processors.testing.TestDatabases;
import dev.progdist.protocol.wire.ProblemType;
import dev.progdist.protocol.wire.SessionResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class SessionStoreTest {

    private static final Duration TTL = Duration.ofMinutes(15);
    private static final Duration MAX = Duration.ofHours(1);

    @TempDir
    Path dir;

    private Database db;
    private MutableClock clock;
    private SessionStore sessions;

    @BeforeEach
    void setUp() {
        db = TestDatabases.open(dir);
        clock = new MutableClock();
        UserDirectory users = new UserDirectory(db, new PasswordHasher(1024, 1, 1), clock);
        users.addUser("alice", "alice-secret".toCharArray(), Role.USER, false);
        users.addUser("olga", "olga-secret".toCharArray(), Role.OPERATOR, false);
        sessions = new SessionStore(db, clock, TTL, MAX);
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void openReturnsA256BitBase64UrlTokenAndASessionId() {
        Instant now = clock.instant();
        SessionResponse s = sessions.open("alice", Role.USER);
        assertThat(s.token()).matches("[A-Za-z0-9_-]{43}"); // 32 random bytes, base64url, no padding
        assertThat(s.sessionId()).matches("[A-Za-z0-9_-]{22}");
        assertThat(s.sessionId()).isNotEqualTo(s.token());
        assertThat(s.expiresAt()).isEqualTo(now.plus(TTL));
        assertThat(s.userId()).isEqualTo("alice");
        assertThat(s.role()).isEqualTo("user");
        assertThat(s.toString()).doesNotContain(s.token());
    }

    /** A copy of the sessions table must open no session: only the token's SHA-256 is stored. */
    @Test
    void databaseHoldsOnlyTheSha256OfTheToken() throws Exception {
        SessionResponse s = sessions.open("alice", Role.USER);
        String expectedHash = HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(s.token().getBytes(StandardCharsets.UTF_8)));

        List<String> values = new ArrayList<>();
        try (Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement("SELECT * FROM sessions");
                ResultSet rs = ps.executeQuery()) {
            ResultSetMetaData md = rs.getMetaData();
            int rows = 0;
            while (rs.next()) {
                rows++;
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    values.add(String.valueOf(rs.getObject(i)));
                }
                assertThat(rs.getString("token_sha256")).isEqualToIgnoringCase(expectedHash);
                assertThat(rs.getString("session_id")).isEqualTo(s.sessionId());
            }
            assertThat(rows).isEqualTo(1);
        }
        assertThat(values).noneMatch(v -> v.contains(s.token()));
        // nor in any other table
        for (String table : List.of("users", "login_failures", "audit_events")) {
            assertThat(allValues(table)).noneMatch(v -> v.contains(s.token()));
        }
    }

    @Test
    void resolveReturnsTheLiveSession() {
        SessionResponse s = sessions.open("olga", Role.OPERATOR);
        SessionStore.Session session = sessions.resolve(s.token());
        assertThat(session).isEqualTo(new SessionStore.Session(s.sessionId(), "olga", Role.OPERATOR, s.expiresAt()));
    }

    /** The role comes from the users table at resolve time, not from what open() was told. */
    @Test
    void resolveReadsTheCurrentRole() throws SQLException {
        SessionResponse s = sessions.open("alice", Role.USER);
        try (Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement("UPDATE users SET role = 'operator' WHERE user_id = 'alice'")) {
            ps.executeUpdate();
        }
        assertThat(sessions.resolve(s.token()).role()).isEqualTo(Role.OPERATOR);
    }

    /** A new secret ends every session opened with the old one, in the same transaction. */
    @Test
    void replacingTheSecretEndsTheUsersSessionsAndSaysWhy() {
        SessionResponse a = sessions.open("alice", Role.USER);
        SessionResponse b = sessions.open("alice", Role.USER);
        SessionResponse olga = sessions.open("olga", Role.OPERATOR);
        UserDirectory.Stored stored = new UserDirectory(db, new PasswordHasher(1024, 1, 1), clock)
                .addUser("alice", "new-secret".toCharArray(), Role.OPERATOR, true);
        assertThat(stored.created()).isFalse();
        assertThat(stored.endedSessions()).containsExactlyInAnyOrder(a.sessionId(), b.sessionId());
        for (SessionResponse s : List.of(a, b)) {
            assertThatThrownBy(() -> sessions.resolve(s.token())).isInstanceOf(ProblemException.class)
                    .hasMessageContaining("secret was replaced");
        }
        assertThat(sessions.resolve(olga.token()).userId()).isEqualTo("olga");
        assertThat(sessions.live(List.of(a.sessionId(), b.sessionId(), olga.sessionId())))
                .containsExactly(olga.sessionId());
    }

    @Test
    void disablingEndsSessionsAndRefusesNewOnesUntilEnabled() {
        UserDirectory users = new UserDirectory(db, new PasswordHasher(1024, 1, 1), clock);
        SessionResponse s = sessions.open("alice", Role.USER);
        assertThat(users.setDisabled("alice", true)).hasValue(List.of(s.sessionId()));
        assertProblem(() -> sessions.resolve(s.token()), ProblemType.SESSION_EXPIRED);
        assertProblem(() -> sessions.open("alice", Role.USER), ProblemType.ACCOUNT_DISABLED);
        assertThat(users.find("alice").orElseThrow().disabled()).isTrue();
        assertThat(users.setDisabled("alice", false)).hasValue(List.of());
        assertThat(sessions.resolve(sessions.open("alice", Role.USER).token()).userId()).isEqualTo("alice");
        // the ended session stays ended
        assertProblem(() -> sessions.resolve(s.token()), ProblemType.SESSION_EXPIRED);
        assertThat(users.setDisabled("nobody", true)).isEmpty();
    }

    @Test
    void revokingEndsOnlyThatUsersSessions() {
        UserDirectory users = new UserDirectory(db, new PasswordHasher(1024, 1, 1), clock);
        SessionResponse a = sessions.open("alice", Role.USER);
        SessionResponse o = sessions.open("olga", Role.OPERATOR);
        assertThat(users.revokeSessions("alice")).hasValue(List.of(a.sessionId()));
        assertThatThrownBy(() -> sessions.resolve(a.token())).isInstanceOf(ProblemException.class)
                .hasMessageContaining("ended by an operator");
        assertThat(sessions.resolve(o.token()).userId()).isEqualTo("olga");
        assertThat(users.revokeSessions("alice")).hasValue(List.of());
        assertThat(users.revokeSessions("nobody")).isEmpty();
        // not disabled: a new login works
        assertThat(sessions.resolve(sessions.open("alice", Role.USER).token()).userId()).isEqualTo("alice");
    }

    /** A login whose secret was checked against a hash that has since been replaced opens nothing. */
    @Test
    void aSessionIsOnlyOpenedForTheHashThatWasVerified() {
        UserDirectory users = new UserDirectory(db, new PasswordHasher(1024, 1, 1), clock);
        String verified = users.find("alice").orElseThrow().passwordHash();
        users.addUser("alice", "replaced-secret".toCharArray(), Role.USER, true);
        assertProblem(() -> sessions.open("alice", Role.USER, verified), ProblemType.BAD_CREDENTIALS);
        assertThat(sessionIds()).isEmpty();
        String current = users.find("alice").orElseThrow().passwordHash();
        assertThat(sessions.open("alice", Role.USER, current).userId()).isEqualTo("alice");
    }

    /** At most max live sessions per user; closed and expired ones do not count; the answer says when to retry. */
    @Test
    void liveSessionsPerUserAreCapped() {
        SessionStore capped = new SessionStore(db, clock, TTL, MAX, 3);
        SessionResponse first = capped.open("alice", Role.USER);
        clock.advance(Duration.ofMinutes(5));
        capped.open("alice", Role.USER);
        SessionResponse third = capped.open("alice", Role.USER);
        assertThatThrownBy(() -> capped.open("alice", Role.USER))
                .isInstanceOfSatisfying(ProblemException.class, e -> {
                    assertThat(e.type()).isEqualTo(ProblemType.TOO_MANY_SESSIONS);
                    // the first one expires 10 minutes from now
                    assertThat(e.retryAfter()).isEqualTo(Duration.ofMinutes(10));
                });
        assertThat(capped.open("olga", Role.OPERATOR).userId()).as("other users are not affected").isEqualTo("olga");
        capped.close(third.sessionId());
        capped.open("alice", Role.USER);
        assertProblem(() -> capped.open("alice", Role.USER), ProblemType.TOO_MANY_SESSIONS);
        clock.advance(Duration.ofMinutes(10)); // the first expires
        capped.open("alice", Role.USER);
        assertProblem(() -> capped.resolve(first.token()), ProblemType.SESSION_EXPIRED);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"x", "fifteen-chars-x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "sixteen-chars-xx"})
    void unknownOrShortTokensAreInvalid(String token) {
        sessions.open("alice", Role.USER);
        assertProblem(() -> sessions.resolve(token), ProblemType.INVALID_TOKEN);
    }

    @Test
    void overlongTokenIsInvalid() {
        SessionResponse s = sessions.open("alice", Role.USER);
        assertProblem(() -> sessions.resolve("A".repeat(129)), ProblemType.INVALID_TOKEN);
        assertProblem(() -> sessions.resolve("A".repeat(100_000)), ProblemType.INVALID_TOKEN);
        // the real token with something appended is not the real token
        assertProblem(() -> sessions.resolve(s.token() + "A"), ProblemType.INVALID_TOKEN);
    }

    @Test
    void tokenWithOneCharacterChangedIsInvalid() {
        SessionResponse s = sessions.open("alice", Role.USER);
        String t = s.token();
        String changed = (t.charAt(0) == 'A' ? 'B' : 'A') + t.substring(1);
        assertProblem(() -> sessions.resolve(changed), ProblemType.INVALID_TOKEN);
        // the session id is not a token
        assertProblem(() -> sessions.resolve(s.sessionId()), ProblemType.INVALID_TOKEN);
        // nor is the stored hash
        assertProblem(() -> sessions.resolve(SessionStore.sha256(t)), ProblemType.INVALID_TOKEN);
    }

    @Test
    void sessionExpiresAfterTtl() {
        SessionResponse s = sessions.open("alice", Role.USER);
        clock.advance(TTL.minusMillis(1));
        assertThat(sessions.resolve(s.token()).sessionId()).isEqualTo(s.sessionId());
        clock.advance(Duration.ofMillis(1));
        assertProblem(() -> sessions.resolve(s.token()), ProblemType.SESSION_EXPIRED);
        clock.advance(Duration.ofDays(30));
        assertProblem(() -> sessions.resolve(s.token()), ProblemType.SESSION_EXPIRED);
    }

    @Test
    void refreshExtendsTheSession() {
        SessionResponse s = sessions.open("alice", Role.USER);
        clock.advance(Duration.ofMinutes(10));
        Instant newExpiry = sessions.refresh(sessions.resolve(s.token()));
        assertThat(newExpiry).isEqualTo(clock.instant().plus(TTL));
        clock.advance(Duration.ofMinutes(10)); // 20 min after open: past the first expiry
        SessionStore.Session live = sessions.resolve(s.token());
        assertThat(live.expiresAt()).isEqualTo(newExpiry);
    }

    @Test
    void refreshNeverExtendsBeyondTheMaximumLifetime() {
        Instant opened = clock.instant();
        SessionResponse s = sessions.open("alice", Role.USER);
        // refresh every 10 minutes for 50 minutes: each refresh gives min(now + ttl, opened + max)
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMinutes(10));
            Instant expiry = sessions.refresh(sessions.resolve(s.token()));
            Instant expected = clock.instant().plus(TTL).isBefore(opened.plus(MAX))
                    ? clock.instant().plus(TTL) : opened.plus(MAX);
            assertThat(expiry).isEqualTo(expected).isBeforeOrEqualTo(opened.plus(MAX));
            assertThat(sessions.resolve(s.token()).expiresAt()).isEqualTo(expected);
        }
        // at exactly the maximum lifetime the session is over
        clock.advance(Duration.between(clock.instant(), opened.plus(MAX)));
        assertProblem(() -> sessions.resolve(s.token()), ProblemType.SESSION_EXPIRED);
    }

    @Test
    void refreshCloseToTheMaximumIsCapped() {
        Instant opened = clock.instant();
        SessionResponse s = sessions.open("alice", Role.USER);
        Instant expiry = s.expiresAt();
        while (clock.instant().plus(TTL).isBefore(opened.plus(MAX))) {
            clock.advance(Duration.ofMinutes(14));
            expiry = sessions.refresh(sessions.resolve(s.token()));
        }
        assertThat(expiry).isEqualTo(opened.plus(MAX));
        clock.advance(Duration.between(clock.instant(), opened.plus(MAX)).minusMillis(1));
        assertThat(sessions.resolve(s.token()).expiresAt()).isEqualTo(opened.plus(MAX));
        clock.advance(Duration.ofMillis(1));
        assertProblem(() -> sessions.resolve(s.token()), ProblemType.SESSION_EXPIRED);
    }

    @Test
    void ttlLongerThanMaxLifetimeIsCappedAtOpen() {
        SessionStore shortMax = new SessionStore(db, clock, Duration.ofHours(2), Duration.ofMinutes(30));
        SessionResponse s = shortMax.open("alice", Role.USER);
        assertThat(s.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(30)));
    }

    @Test
    void closeEndsTheSessionAtOnce() {
        SessionResponse s = sessions.open("alice", Role.USER);
        SessionResponse other = sessions.open("alice", Role.USER);
        sessions.close(s.sessionId());
        assertProblem(() -> sessions.resolve(s.token()), ProblemType.SESSION_EXPIRED);
        // closing one session leaves the user's others alone
        assertThat(sessions.resolve(other.token()).sessionId()).isEqualTo(other.sessionId());
        // closing twice is harmless
        sessions.close(s.sessionId());
        assertProblem(() -> sessions.resolve(s.token()), ProblemType.SESSION_EXPIRED);
    }

    /** A refresh must not reopen a closed session. */
    @Test
    void refreshDoesNotReopenAClosedSession() {
        SessionResponse s = sessions.open("alice", Role.USER);
        SessionStore.Session session = sessions.resolve(s.token());
        sessions.close(s.sessionId());
        assertProblem(() -> sessions.refresh(session), ProblemType.SESSION_EXPIRED);
        assertProblem(() -> sessions.resolve(s.token()), ProblemType.SESSION_EXPIRED);
    }

    /**
     * A refresh must not revive a session that expired after it was resolved (the window between
     * authenticate and refresh in UserAuthentication).
     */
    @Test
    void refreshDoesNotReviveAnExpiredSession() {
        SessionResponse s = sessions.open("alice", Role.USER);
        SessionStore.Session session = sessions.resolve(s.token());
        clock.advance(TTL);
        assertProblem(() -> sessions.resolve(s.token()), ProblemType.SESSION_EXPIRED);
        assertProblem(() -> sessions.refresh(session), ProblemType.SESSION_EXPIRED);
        assertProblem(() -> sessions.resolve(s.token()), ProblemType.SESSION_EXPIRED);
    }

    @Test
    void refreshOfAnUnknownSessionIsInvalidToken() {
        SessionStore.Session ghost = new SessionStore.Session("no-such-session", "alice", Role.USER, clock.instant());
        assertProblem(() -> sessions.refresh(ghost), ProblemType.INVALID_TOKEN);
    }

    @Test
    void purgeExpiredRemovesOnlyRowsExpiredLongerThanKeep() {
        SessionResponse old = sessions.open("alice", Role.USER); // expires at t0+15m
        clock.advance(Duration.ofMinutes(60));
        SessionResponse recent = sessions.open("alice", Role.USER); // expires at t0+75m
        clock.advance(Duration.ofMinutes(30));
        SessionResponse live = sessions.open("alice", Role.USER); // expires at t0+105m
        // now t0+90m: old expired 75m ago, recent 15m ago
        assertThat(sessions.purgeExpired(Duration.ofMinutes(30))).isEqualTo(1);
        assertThat(sessionIds()).containsExactlyInAnyOrder(recent.sessionId(), live.sessionId());
        assertThat(sessions.purgeExpired(Duration.ofMinutes(30))).isZero();
        assertThat(sessions.purgeExpired(Duration.ZERO)).isEqualTo(1);
        assertThat(sessionIds()).containsExactly(live.sessionId());
        assertThat(sessions.resolve(live.token()).sessionId()).isEqualTo(live.sessionId());
        // a purged token is simply unknown
        assertProblem(() -> sessions.resolve(old.token()), ProblemType.INVALID_TOKEN);
    }

    @Test
    void hundredTokensAndSessionIdsAreDistinct() {
        Set<String> tokens = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            SessionResponse s = sessions.open("alice", Role.USER);
            tokens.add(s.token());
            ids.add(s.sessionId());
        }
        assertThat(tokens).hasSize(100);
        assertThat(ids).hasSize(100);
        assertThat(tokens).doesNotContainAnyElementsOf(ids);
    }

    @Test
    void sessionsOfADeletedUserStopWorking() throws SQLException {
        SessionResponse s = sessions.open("alice", Role.USER);
        try (Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM users WHERE user_id = 'alice'")) {
            ps.executeUpdate();
        }
        assertProblem(() -> sessions.resolve(s.token()), ProblemType.INVALID_TOKEN);
    }

    // --- helpers ---

    private static void assertProblem(Runnable call, ProblemType type) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ProblemException.class,
                e -> assertThat(e.type()).isEqualTo(type));
    }

    private List<String> sessionIds() {
        List<String> ids = new ArrayList<>();
        try (Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement("SELECT session_id FROM sessions");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return ids;
    }

    private List<String> allValues(String table) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement("SELECT * FROM " + table);
                ResultSet rs = ps.executeQuery()) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                for (int i = 1; i <= n; i++) {
                    values.add(String.valueOf(rs.getObject(i)));
                }
            }
        }
        return values;
    }
}
