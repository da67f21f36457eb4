package dev.progdist.processors.http;

import dev.progdist.protocol.wire.ProblemType;
import java.time.Duration;

/**
 * A refusal that leaves the HTTP API as an RFC 9457 problem document. The one exception type the
 * server's stage beans throw for a request that cannot be served; the route configuration turns
 * it into the response. {@code detail} is shown to the caller: never put a secret in it.
 */
public class ProblemException extends RuntimeException {

    private final ProblemType type;
    private final Duration retryAfter;

    public ProblemException(ProblemType type, String detail) {
        this(type, detail, null);
    }

    public ProblemException(ProblemType type, String detail, Duration retryAfter) {
        super(detail == null ? type.title() : detail, null, false, false);
        this.type = type;
        this.retryAfter = retryAfter;
    }

    public ProblemType type() {
        return type;
    }

    /** How long the caller should wait before retrying, or {@code null}. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
