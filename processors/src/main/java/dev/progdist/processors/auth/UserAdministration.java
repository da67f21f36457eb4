package dev.progdist.processors.auth;

import dev.progdist.processors.http.HttpExchanges;
import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.store.AuditTrail;
import dev.progdist.protocol.wire.ProblemType;
import java.util.Map;
import org.apache.camel.Exchange;

/**
 * Operator-only management of first-path users over the API ({@code GET/POST /api/v1/users}). The
 * routes call {@link UserAuthentication#requireOperator} first; this stage assumes it.
 *
 * <p>Throws {@link ProblemException}: {@code invalid-field} for a bad user ID, role or secret,
 * {@code conflict} for an existing user, and the body-parsing problems of {@link HttpExchanges}.
 */
public class UserAdministration {

    /** Body of {@code POST /api/v1/users}. {@link #toString()} hides the password. */
    public record NewUser(String userId, String password, String role) {
        @Override
        public String toString() {
            return "NewUser[userId=" + userId + ", role=" + role + "]";
        }
    }

    public static final int MAX_LIST = 1000;

    private final UserDirectory users;
    private final AuditTrail audit;

    public UserAdministration(UserDirectory users, AuditTrail audit) {
        this.users = users;
        this.audit = audit;
    }

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
            users.addUser(request.userId(), secret, role, false);
        } catch (IllegalArgumentException e) {
            throw new ProblemException(ProblemType.CONFLICT, "user '" + request.userId() + "' already exists");
        } finally {
            java.util.Arrays.fill(secret, '\0');
        }
        audit.record("user-added", exchange.getProperty(UserAuthentication.USER_ID, String.class),
                "user:" + request.userId(), "role " + role.dbValue());
        HttpExchanges.replyJson(exchange, 201, Map.of("userId", request.userId(), "role", role.dbValue()));
        exchange.getMessage().setHeader("Location", "/api/v1/users/" + request.userId());
    }
}
