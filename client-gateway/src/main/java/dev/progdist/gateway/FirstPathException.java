package dev.progdist.gateway;

import dev.progdist.protocol.wire.ProblemType;

/**
 * The first path failed: the server refused (with a problem type, when it sent one) or could not
 * be reached or trusted. The message is meant for the person running the gateway.
 */
public class FirstPathException extends RuntimeException {

    private final int status;
    private final ProblemType problem;

    public FirstPathException(String message, int status, ProblemType problem, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.problem = problem;
    }

    /** HTTP status, or 0 when no answer came. */
    public int status() {
        return status;
    }

    /** The server's problem type, or {@code null}. */
    public ProblemType problem() {
        return problem;
    }
}
