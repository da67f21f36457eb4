package dev.progdist.gateway;

import dev.progdist.protocol.wire.ProblemType;

/**
 * The first path failed: the server refused (with a problem type, when it sent one) or could not
 * be reached or trusted. The message is meant for the person running the gateway.
 */
public class FirstPathException extends RuntimeException {

    private final int status;
    private final ProblemType problem;
    private final java.time.Duration retryAfter;
    private final String code;

    public FirstPathException(String message, int status, ProblemType problem, Throwable cause) {
        this(message, status, problem, null, cause);
    }

    public FirstPathException(String message, int status, ProblemType problem, java.time.Duration retryAfter,
            Throwable cause) {
        this(message, status, problem, problem == null ? null : problem.code(), retryAfter, cause);
    }

    /** With the problem code as the server sent it ({@code code}), also when this gateway does not know it. */
    public FirstPathException(String message, int status, ProblemType problem, String code,
            java.time.Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.problem = problem;
        this.code = code != null ? code : problem == null ? null : problem.code();
        this.retryAfter = retryAfter;
    }

    /**
     * The server's problem code, also one this gateway has no {@link ProblemType} for, or
     * {@code null} when the server sent none (unreachable, not a problem document).
     */
    public String code() {
        return code;
    }

    /** The server's {@code Retry-After}, or {@code null} when it sent none. */
    public java.time.Duration retryAfter() {
        return retryAfter;
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
