package dev.progdist.processors.rollout;

import dev.progdist.processors.auth.UserAuthentication;
import dev.progdist.processors.http.HttpExchanges;
import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.store.AuditTrail;
import dev.progdist.protocol.wire.ProblemType;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;

/**
 * The operator API of rollouts, {@code /api/v1/rollouts} (the routes require the operator role
 * first): create, list, get, devices, and the actions approve, deny, start, pause, resume, stop,
 * trigger-next-group, retry. Every change is audited as the operator who made it. Throws
 * {@link ProblemException}: the {@link RolloutException} types of {@link Rollouts} (for example
 * {@code invalid-field}, {@code unknown-program}, {@code not-entitled}, {@code empty-targets},
 * {@code invalid-state}, {@code self-approval}), {@code not-found}, and the body problems of
 * {@link HttpExchanges}.
 */
public class RolloutAdministration {

    /** Largest create request: a devices list of {@value} bytes holds about 50,000 IDs. */
    public static final int MAX_CREATE_BODY = 2 * 1024 * 1024;
    private static final int MAX_ACTION_BODY = 4096;
    private static final int MAX_PAGE_SIZE = 1000;
    private static final Set<String> ACTIONS = Set.of("approve", "deny", "start", "pause", "resume", "stop",
            "trigger-next-group", "retry");

    /** Body of approve and deny. */
    public record Decision(String remark) {
    }

    private final Rollouts rollouts;
    private final AuditTrail audit;

    public RolloutAdministration(Rollouts rollouts, AuditTrail audit) {
        this.rollouts = rollouts;
        this.audit = audit;
    }

    public void create(Exchange exchange) {
        RolloutRequest request = HttpExchanges.readJson(exchange, RolloutRequest.class, MAX_CREATE_BODY,
                Set.of("programId", "version", "targets"));
        String operator = operator(exchange);
        RolloutView created = call(() -> rollouts.create(request, operator));
        audit.record("rollout-created", operator, "rollout:" + created.id(),
                created.programId() + " " + created.version() + ", " + created.status());
        HttpExchanges.replyJson(exchange, 201, created);
    }

    public void list(Exchange exchange) {
        String status = exchange.getMessage().getHeader("status", String.class);
        HttpExchanges.replyJson(exchange, 200, Map.of("rollouts", call(() -> rollouts.list(status, 1000))));
    }

    public void get(Exchange exchange) {
        String id = id(exchange);
        HttpExchanges.replyJson(exchange, 200, call(() -> rollouts.get(id)));
    }

    public void devices(Exchange exchange) {
        String id = id(exchange);
        String state = exchange.getMessage().getHeader("state", String.class);
        int page = intParameter(exchange, "page", 1, 1, Integer.MAX_VALUE);
        int pageSize = intParameter(exchange, "pageSize", 100, 1, MAX_PAGE_SIZE);
        HttpExchanges.replyJson(exchange, 200, call(() -> rollouts.devices(id, state, page, pageSize)));
    }

    /** {@code POST /api/v1/rollouts/{id}/{action}}: the action is the route's {@code action} header. */
    public void act(Exchange exchange) {
        String id = id(exchange);
        String action = exchange.getMessage().getHeader("action", String.class);
        if (action == null || !ACTIONS.contains(action)) {
            throw new ProblemException(ProblemType.NOT_FOUND, "no rollout action '" + action + "'");
        }
        String operator = operator(exchange);
        String remark = null;
        if (action.equals("approve") || action.equals("deny")) {
            Decision d = HttpExchanges.readJson(exchange, Decision.class, MAX_ACTION_BODY, Set.of());
            remark = d.remark();
        }
        String why = remark;
        RolloutView result = call(() -> switch (action) {
            case "approve" -> rollouts.approve(id, operator, why);
            case "deny" -> rollouts.deny(id, operator, why);
            case "start" -> rollouts.start(id, operator);
            case "pause" -> rollouts.pause(id, operator);
            case "resume" -> rollouts.resume(id, operator);
            case "stop" -> rollouts.stop(id, operator);
            case "trigger-next-group" -> rollouts.triggerNextGroup(id, operator);
            case "retry" -> rollouts.retry(id, operator);
            default -> throw new IllegalStateException(action);
        });
        audit.record("rollout-" + action, operator, "rollout:" + id,
                action.equals("retry") ? "new rollout " + result.id() : result.status()
                        + (why == null ? "" : " (" + why + ")"));
        HttpExchanges.replyJson(exchange, action.equals("retry") ? 201 : 200, result);
    }

    private static String operator(Exchange exchange) {
        return exchange.getProperty(UserAuthentication.USER_ID, String.class);
    }

    private static String id(Exchange exchange) {
        String id = exchange.getMessage().getHeader("rolloutId", String.class);
        if (id == null || !id.matches("[A-Za-z0-9-]{1,36}")) {
            throw new ProblemException(ProblemType.NOT_FOUND, "no rollout '" + id + "'");
        }
        return id;
    }

    private static int intParameter(Exchange exchange, String name, int fallback, int min, int max) {
        String raw = exchange.getMessage().getHeader(name, String.class);
        if (raw == null || raw.isEmpty()) {
            return fallback;
        }
        try {
            int v = Integer.parseInt(raw);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // refused below
        }
        throw new ProblemException(ProblemType.INVALID_FIELD, "query parameter '" + name + "' must be a whole number from "
                + min + " to " + max);
    }

    private static <T> T call(java.util.function.Supplier<T> work) {
        try {
            return work.get();
        } catch (RolloutException e) {
            throw new ProblemException(e.type(), e.getMessage());
        }
    }
}
