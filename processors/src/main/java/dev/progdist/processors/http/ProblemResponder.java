package dev.progdist.processors.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.wire.Problem;
import dev.progdist.protocol.wire.ProblemType;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a failed exchange into an RFC 9457 {@code application/problem+json} response. Used once,
 * from the server's route configuration, for every HTTP route.
 *
 * <p>A {@link ProblemException} keeps its type and detail. Anything else is an internal error: the
 * caller sees only an incident id, the log gets the exception under that id.
 */
public class ProblemResponder {

    private static final Logger LOG = LoggerFactory.getLogger(ProblemResponder.class);

    /** Writes the problem for the exception caught on {@code exchange}. */
    public void respond(Exchange exchange) {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        ProblemException problem = find(caught);
        if (problem == null) {
            String incident = UUID.randomUUID().toString();
            LOG.error("Internal error, incident {} on {}", incident, exchange.getFromRouteId(), caught);
            problem = new ProblemException(ProblemType.INTERNAL_ERROR,
                    "the server failed to handle the request; incident " + incident);
        }
        write(exchange, problem);
    }

    /** Answers a request for a path or method the API does not have. */
    public void notFound(Exchange exchange) {
        write(exchange, new ProblemException(ProblemType.NOT_FOUND, "no such resource: "
                + exchange.getMessage().getHeader(Exchange.HTTP_METHOD, String.class) + " "
                + exchange.getMessage().getHeader(Exchange.HTTP_URI, String.class)));
    }

    public static void write(Exchange exchange, ProblemException problem) {
        Message out = exchange.getMessage();
        String instance = out.getHeader(Exchange.HTTP_URI, String.class);
        out.removeHeaders("*");
        Problem body = Problem.of(problem.type(), problem.getMessage(), instance);
        try {
            out.setBody(Json.mapper().writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.setHeader(Exchange.HTTP_RESPONSE_CODE, problem.type().status());
        out.setHeader(Exchange.CONTENT_TYPE, ProblemType.MEDIA_TYPE);
        out.setHeader("Cache-Control", "no-store");
        if (problem.retryAfter() != null) {
            out.setHeader("Retry-After", Math.max(1, (problem.retryAfter().toMillis() + 999) / 1000));
        }
        if (problem.type().status() == 401) {
            out.setHeader("WWW-Authenticate", "Bearer realm=\"progdist\"");
        }
    }

    private static ProblemException find(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ProblemException p) {
                return p;
            }
        }
        return null;
    }
}
