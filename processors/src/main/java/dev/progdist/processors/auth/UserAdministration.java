package dev.progdist.processors.auth;

import dev.progdist.processors.http.HttpExchanges;
import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.store.AuditTrail;
import dev.progdist.processors.store.IdConflictException;
import dev.progdist.protocol.wire.ProblemType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.camel.Exchange;

/**
 * Management of first-path users: adding a user, replacing a secret, disabling, enabling and
 * ending a user's sessions. The plain methods ({@link #add}, {@link #disable}, {@link #enable},
 * {@link #revokeSessions}) are what the CLI and the operator API both call: each changes the
 * database in one transaction (ending the user's sessions where it must), then writes an audit
 * event and hands the ended sessions to {@code sessionsEnded}, which in the server ends their open
 * second paths. (A CLI process has no channels to end; a channel whose session has ended is refused
 * on its next request anyway, because every channel request authenticates its token again.)
 *
 * <p>The operator API ({@code GET/POST /api/v1/users}, {@code POST /api/v1/users/{userId}/disable},
 * {@code .../enable}, {@code .../revoke-sessions}): the routes call
 * {@link UserAuthentication#requireOperator} first; this stage assumes it. Throws
 * {@link ProblemException}: {@code invalid-field} for a bad user ID, role or secret, {@code conflict}
 * for an existing user, {@code id-conflict} for an ID that differs from an existing one only in
 * case, {@code not-found} for an unknown user, and the body-parsing problems of {@link HttpExchanges}.
 */
public class UserAdministration {

    /** Body of {@code POST /api/v1/users}. {@link #toString()} hides the password. */
    public record NewUser(String userId, String password, String role) {
        @Override
        public String toString() {
            return "NewUser[userId=" + userId + ", role=" + role + "]";
        }
    }

    /** What a change did to a user. */
    public record Change(String userId, boolean created, boolean disabled, int sessionsEnded) {
    }

    public static final int MAX_LIST = 1000;

    private final UserDirectory users;
    private final AuditTrail audit;
    private final Consumer<List<String>> sessionsEnded;

    /** For a process that holds no channels (the CLI). */
    public UserAdministration(UserDirectory users, AuditTrail audit) {
        this(users, audit, ended -> { });
    }

    public UserAdministration(UserDirectory users, AuditTrail audit, Consumer<List<String>> sessionsEnded) {
        this.users = users;
        this.audit = audit;
        this.sessionsEnded = sessionsEnded;
    }

    /**
     * Adds a user, or with {@code replace} sets an existing user's secret and role and ends all
     * of their sessions.
     *
     * @throws IllegalArgumentException for an invalid ID or secret, or an existing user without {@code replace}
     * @throws IdConflictException      if another user's ID differs only in case
     */
    public Change add(String actor, String userId, char[] secret, Role role, boolean replace) {
        UserDirectory.Stored stored = users.addUser(userId, secret, role, replace);
        audit.record(stored.created() ? "user-added" : "user-secret-replaced", actor, "user:" + userId,
                "role " + role.dbValue() + (stored.created() ? "" : ", " + stored.endedSessions().size()
                        + " session(s) ended"));
        sessionsEnded.accept(stored.endedSessions());
        return new Change(userId, stored.created(), false, stored.endedSessions().size());
    }

    /** Disables a user and ends their sessions; {@link IllegalArgumentException} for an unknown user. */
    public Change disable(String actor, String userId) {
        List<String> ended = users.setDisabled(userId, true).orElseThrow(() -> noSuchUser(userId));
        audit.record("user-disabled", actor, "user:" + userId, ended.size() + " session(s) ended");
        sessionsEnded.accept(ended);
        return new Change(userId, false, true, ended.size());
    }

    public Change enable(String actor, String userId) {
        users.setDisabled(userId, false).orElseThrow(() -> noSuchUser(userId));
        audit.record("user-enabled", actor, "user:" + userId, null);
        return new Change(userId, false, false, 0);
    }

    /** Ends all sessions of a user (and their channels); the user may log in again. */
    public Change revokeSessions(String actor, String userId) {
        List<String> ended = users.revokeSessions(userId).orElseThrow(() -> noSuchUser(userId));
        audit.record("user-sessions-revoked", actor, "user:" + userId, ended.size() + " session(s) ended");
        sessionsEnded.accept(ended);
        boolean disabled = users.find(userId).map(UserDirectory.StoredUser::disabled).orElse(false);
        return new Change(userId, false, disabled, ended.size());
    }

    private static IllegalArgumentException noSuchUser(String userId) {
        return new IllegalArgumentException("no user '" + userId + "'");
    }

    // --- operator API ---

    public void listUsers(Exchange exchange) {
        HttpExchanges.replyJson(exchange, 200, Map.of("users", users.list(MAX_LIST)));
    }

    public void addUser(Exchange exchange) {
        NewUser request = HttpExchanges.readJson(exchange, NewUser.class, 4096);
        Role role;
        try {
            role = Role.parse(request.role());
        } catch (IllegalArgumentException e) {
            throw new ProblemException(ProblemType.INVALID_FIELD, "field 'role' must be 'user' or 'operator'");
        }
        if (!UserDirectory.isValidUserId(request.userId())) {
            throw new ProblemException(ProblemType.INVALID_FIELD,
                    "field 'userId' must be 1 to 64 characters of A-Z a-z 0-9 . _ @ -, starting with a letter or digit");
        }
        char[] secret = request.password().toCharArray();
        String violation = UserDirectory.secretPolicyViolation(secret);
        if (violation != null) {
            throw new ProblemException(ProblemType.INVALID_FIELD, "field 'password': " + violation);
        }
        if (users.find(request.userId()).isPresent()) {
            throw new ProblemException(ProblemType.CONFLICT, "user '" + request.userId() + "' already exists");
        }
        try {
            add(operator(exchange), request.userId(), secret, role, false);
        } catch (IdConflictException e) {
            throw new ProblemException(ProblemType.ID_CONFLICT, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ProblemException(ProblemType.CONFLICT, "user '" + request.userId() + "' already exists");
        } finally {
            java.util.Arrays.fill(secret, '\0');
        }
        HttpExchanges.replyJson(exchange, 201, Map.of("userId", request.userId(), "role", role.dbValue()));
        exchange.getMessage().setHeader("Location", "/api/v1/users/" + request.userId());
    }

    /** {@code POST /api/v1/users/{userId}/disable}: 200 with the user's state and the sessions ended. */
    public void disableUser(Exchange exchange) {
        reply(exchange, change(exchange, this::disable));
    }

    /** {@code POST /api/v1/users/{userId}/enable}. */
    public void enableUser(Exchange exchange) {
        reply(exchange, change(exchange, this::enable));
    }

    /** {@code POST /api/v1/users/{userId}/revoke-sessions}. */
    public void revokeUserSessions(Exchange exchange) {
        reply(exchange, change(exchange, this::revokeSessions));
    }

    private interface UserAction {
        Change apply(String actor, String userId);
    }

    private static Change change(Exchange exchange, UserAction action) {
        String userId = exchange.getMessage().getHeader("userId", String.class);
        try {
            return action.apply(operator(exchange), userId);
        } catch (IllegalArgumentException e) {
            throw new ProblemException(ProblemType.NOT_FOUND, "no user '" + userId + "'");
        }
    }

    private static void reply(Exchange exchange, Change c) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("userId", c.userId());
        body.put("disabled", c.disabled());
        body.put("sessionsEnded", c.sessionsEnded());
        HttpExchanges.replyJson(exchange, 200, body);
    }

    private static String operator(Exchange exchange) {
        return exchange.getProperty(UserAuthentication.USER_ID, String.class);
    }
}
