package dev.progdist.processors.rollout;

import dev.progdist.processors.auth.SessionStore;
import dev.progdist.processors.auth.UserAuthentication;
import dev.progdist.processors.http.HttpExchanges;
import dev.progdist.processors.http.ProblemException;
import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.wire.ProblemType;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;

/**
 * {@code POST /api/v1/sessions/{sid}/check-in}: a gateway asks, for one device of its session's
 * user, whether a rollout has something for it. Body {@code {"deviceId": "D"}}; answer
 * {@code {"deviceId": "D", "offer": {rolloutId, programId, version, mode} | null,
 * "checkInAfter": "PT5S"}}. The token may only use its own session (as the channel endpoint).
 * An offer only says what the TRP may fetch over the second path; nothing counts until the
 * server has verified the TRP's signed receipt. Throws {@link ProblemException}: {@code forbidden}
 * (another session's path), {@code invalid-field}, and the device refusals of {@link Rollouts#checkIn}.
 */
public class RolloutCheckIn {

    /** Body of a check-in. */
    public record Request(String deviceId) {
    }

    private final Rollouts rollouts;

    public RolloutCheckIn(Rollouts rollouts) {
        this.rollouts = rollouts;
    }

    public void checkIn(Exchange exchange) {
        SessionStore.Session session = exchange.getProperty(UserAuthentication.SESSION, SessionStore.Session.class);
        String sid = exchange.getMessage().getHeader("sid", String.class);
        if (session == null || !session.sessionId().equals(sid)) {
            throw new ProblemException(ProblemType.FORBIDDEN, "a token may only check in for its own session");
        }
        Request r = HttpExchanges.readJson(exchange, Request.class, 1024);
        if (r.deviceId() == null || !DeviceId.isValid(r.deviceId())) {
            throw new ProblemException(ProblemType.INVALID_FIELD,
                    "field 'deviceId' must be 1 to 64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit");
        }
        Offer offer;
        try {
            offer = rollouts.checkIn(session.userId(), r.deviceId()).orElse(null);
        } catch (RolloutException e) {
            throw new ProblemException(e.type(), e.getMessage());
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("deviceId", r.deviceId());
        answer.put("offer", offer);
        answer.put("checkInAfter", rollouts.checkInAfter().toString());
        HttpExchanges.replyJson(exchange, 200, answer);
    }
}
