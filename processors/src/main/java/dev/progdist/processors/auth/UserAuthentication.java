package dev.progdist.processors.auth;

import dev.progdist.processors.http.HttpExchanges;
import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.store.AuditTrail;
import dev.progdist.protocol.wire.ProblemType;
import dev.progdist.protocol.wire.SessionRequest;
import dev.progdist.protocol.wire.SessionResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import org.apache.camel.Exchange;

/**
 * The user-authentication stage of the first path: opens, checks, refreshes and closes sessions.
 *
 * <p>Guarantees: a wrong secret and an unknown user ID get the same answer after the same work
 * (an unknown ID is checked against a dummy hash); repeated failures are throttled and then
 * locked per submitted ID ({@link LoginThrottle}); a request is authenticated only by a live
 * session's bearer token. After {@link #authenticate} the exchange carries the session in the
 * properties {@link #USER_ID}, {@link #ROLE} and {@link #SESSION_ID}, never in headers, so they
 * cannot leak into a response or be injected by a caller.
 *
 * <p>Every refusal is a {@link ProblemException}.
 */
public class UserAuthentication {

    public static final String USER_ID = "progdistUserId";
    public static final String ROLE = "progdistRole";
    public static final String SESSION_ID = "progdistSessionId";
    public static final String SESSION = "progdistSession";

    /** A login body holds two short strings; nothing legitimate comes near this. */
    public static final int MAX_LOGIN_BODY = 4096;

    private static final Duration BUSY_RETRY = Duration.ofSeconds(1);

    private final UserDirectory users;
    private final PasswordHasher hasher;
    private final LoginThrottle throttle;
    private final SessionStore sessions;
    private final AuditTrail audit;
    private final String dummyHash;
    private final Semaphore verifications;

    /**
     * @param loginConcurrency secret verifications (real or against the dummy hash) run at once at
     *     most ({@code progdist.server.login-concurrency}); a login beyond that gets {@code 503
     *     server-busy} with {@code Retry-After: 1} before its Argon2 work starts, so logins cannot take
     *     every core from token checks. The bound is here, in the stage, so it holds however the
     *     request reached the route (trailing slash, case of path or method).
     */
    public UserAuthentication(UserDirectory users, PasswordHasher hasher, LoginThrottle throttle,
            SessionStore sessions, AuditTrail audit, int loginConcurrency) {
        if (loginConcurrency < 1) {
            throw new IllegalArgumentException("progdist.server.login-concurrency must be at least 1");
        }
        this.verifications = new Semaphore(loginConcurrency);
        this.users = users;
        this.hasher = hasher;
        this.throttle = throttle;
        this.sessions = sessions;
        this.audit = audit;
        // same cost as real hashes, so an unknown user takes as long as a wrong secret
        this.dummyHash = hasher.hash("progdist-no-such-user".toCharArray());
    }

    /**
     * {@code POST /api/v1/sessions}: checks the credentials and answers 201 with a new session.
     *
     * <p>A disabled user gets {@code 403 account-disabled}, but only after the secret verified: with
     * a wrong secret (or an unknown ID) the answer is {@code bad-credentials} as always, so the code
     * tells nothing to someone who does not already hold the secret.
     */
    public void openSession(Exchange exchange) {
        SessionRequest request = HttpExchanges.readJson(exchange, SessionRequest.class, MAX_LOGIN_BODY);
        String userId = request.userId();
        char[] secret = request.password().toCharArray();
        if (userId.isEmpty()) {
            throw new ProblemException(ProblemType.MISSING_FIELD, "field 'userId' must not be empty");
        }
        if (secret.length == 0) {
            throw new ProblemException(ProblemType.MISSING_FIELD, "field 'password' must not be empty");
        }
        if (secret.length > PasswordHasher.MAX_PASSWORD_CHARS) {
            throw new ProblemException(ProblemType.INVALID_FIELD,
                    "field 'password' is longer than " + PasswordHasher.MAX_PASSWORD_CHARS + " characters");
        }
        if (!UserDirectory.isValidUserId(userId)) {
            // no such user can exist: same answer, same work as a wrong secret
            try {
                bounded(() -> hasher.verify(secret, dummyHash));
            } finally {
                java.util.Arrays.fill(secret, '\0');
            }
            audit.record("login-failed", null, "(malformed user ID)", "bad credentials");
            throw badCredentials();
        }
        @SuppressWarnings("unchecked")
        Optional<UserDirectory.StoredUser>[] found = new Optional[1];
        LoginThrottle.Outcome outcome;
        try {
            // a busy refusal thrown here leaves the throttle unchanged: it is no failed guess
            outcome = throttle.attempt(userId, () -> bounded(() -> {
                found[0] = users.find(userId);
                String hash = found[0].map(UserDirectory.StoredUser::passwordHash).orElse(dummyHash);
                boolean ok = hasher.verify(secret, hash);
                return ok && found[0].isPresent();
            }));
        } finally {
            java.util.Arrays.fill(secret, '\0');
        }
        if (outcome instanceof LoginThrottle.Accepted) {
            UserDirectory.StoredUser user = found[0].orElseThrow();
            SessionResponse session;
            try {
                // refuses a disabled user, and a secret replaced since it was read
                session = sessions.open(user.userId(), user.role(), user.passwordHash());
            } catch (ProblemException e) {
                audit.record("login-refused", user.userId(), "user:" + user.userId(), e.type().code());
                throw e;
            }
            audit.record("login", user.userId(), "session:" + session.sessionId(), null);
            HttpExchanges.replyJson(exchange, 201, session);
            exchange.getMessage().setHeader("Location", "/api/v1/sessions/" + session.sessionId());
        } else if (outcome instanceof LoginThrottle.Busy b) {
            throw new ProblemException(ProblemType.SERVER_BUSY,
                    "another login for this user ID is in progress: retry in a moment", b.retryAfter());
        } else if (outcome instanceof LoginThrottle.Throttled t) {
            audit.record("login-throttled", null, "user:" + userId, null);
            throw new ProblemException(ProblemType.LOGIN_THROTTLED,
                    "too many failed logins for this user ID: retry later", t.retryAfter());
        } else if (outcome instanceof LoginThrottle.Locked l) {
            audit.record("login-locked", null, "user:" + userId, null);
            throw new ProblemException(ProblemType.ACCOUNT_LOCKED,
                    "too many failed logins: this user ID is locked for a while", l.retryAfter());
        } else {
            audit.record("login-failed", null, "user:" + userId, "bad credentials");
            throw badCredentials();
        }
    }

    /** Runs one secret verification within the login bound, or refuses with {@code 503 server-busy}. */
    private <T> T bounded(Supplier<T> verification) {
        if (!verifications.tryAcquire()) {
            throw new ProblemException(ProblemType.SERVER_BUSY, "too many logins are in progress: retry in a moment",
                    BUSY_RETRY);
        }
        try {
            return verification.get();
        } finally {
            verifications.release();
        }
    }

    /** Authenticates the bearer token of the request, or refuses it. */
    public void authenticate(Exchange exchange) {
        String header = exchange.getMessage().getHeader("Authorization", String.class);
        if (header == null || header.isBlank()) {
            throw new ProblemException(ProblemType.MISSING_TOKEN, null);
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ProblemException(ProblemType.INVALID_TOKEN, "use 'Authorization: Bearer <token>'");
        }
        SessionStore.Session session = sessions.resolve(header.substring(7).strip());
        exchange.setProperty(SESSION, session);
        exchange.setProperty(USER_ID, session.userId());
        exchange.setProperty(ROLE, session.role().dbValue());
        exchange.setProperty(SESSION_ID, session.sessionId());
    }

    /** Refuses the request unless the authenticated user is an operator. */
    public void requireOperator(Exchange exchange) {
        SessionStore.Session session = exchange.getProperty(SESSION, SessionStore.Session.class);
        if (session == null) {
            throw new ProblemException(ProblemType.MISSING_TOKEN, null);
        }
        if (session.role() != Role.OPERATOR) {
            audit.record("forbidden", session.userId(), exchange.getFromRouteId(), "operator role required");
            throw new ProblemException(ProblemType.FORBIDDEN, "this call needs the operator role");
        }
    }

    /** {@code POST /api/v1/sessions/{sid}/refresh}: extends the caller's own session. */
    public void refreshSession(Exchange exchange) {
        SessionStore.Session session = ownSession(exchange);
        var expiresAt = sessions.refresh(session);
        HttpExchanges.replyJson(exchange, 200,
                new SessionResponse(session.sessionId(), null, expiresAt, session.userId(), session.role().dbValue()));
    }

    /** {@code DELETE /api/v1/sessions/{sid}}: closes the caller's own session; 204. */
    public void closeSession(Exchange exchange) {
        SessionStore.Session session = ownSession(exchange);
        sessions.close(session.sessionId());
        audit.record("logout", session.userId(), "session:" + session.sessionId(), null);
        HttpExchanges.replyEmpty(exchange, 204);
    }

    private static SessionStore.Session ownSession(Exchange exchange) {
        SessionStore.Session session = exchange.getProperty(SESSION, SessionStore.Session.class);
        String sid = exchange.getMessage().getHeader("sid", String.class);
        if (session == null) {
            throw new ProblemException(ProblemType.MISSING_TOKEN, null);
        }
        if (!session.sessionId().equals(sid)) {
            throw new ProblemException(ProblemType.FORBIDDEN, "a token may only act on its own session");
        }
        return session;
    }

    private static ProblemException badCredentials() {
        return new ProblemException(ProblemType.BAD_CREDENTIALS, "user ID or secret is wrong");
    }
}
