package dev.progdist.server;

import java.time.Duration;

/**
 * What the HTTPS port grants a client before any route runs (settings {@code progdist.server.*},
 * see docs/configuration.md): the thread and connection budgets, how slowly and for how long a
 * request body may arrive, how much of it the front door holds in memory (how many logins run at once is
 * bounded by the login stage itself, {@code UserAuthentication}).
 *
 * @param maxThreads          Jetty's request threads at most
 * @param minThreads          Jetty's request threads kept ready
 * @param maxConnections      open TLS connections at most; further ones wait in the accept queue
 * @param idleTimeout         a connection that sends nothing for this long is closed
 * @param headerTimeout       the TLS handshake and a request's line and headers must arrive within this
 * @param idleTimeoutAtLimit  the idle timeout while {@code maxConnections} are open
 * @param minRequestDataRate  bytes per second a request body must keep up, measured from its headers
 * @param bodyReadTimeout     the whole of a buffered body must have arrived within this time (408)
 * @param maxBufferedBody     bodies up to this size are read by the front door without holding a thread
 */
public record FrontDoorLimits(int maxThreads, int minThreads, int maxConnections, Duration idleTimeout,
        Duration headerTimeout, Duration idleTimeoutAtLimit,
        long minRequestDataRate, Duration bodyReadTimeout, int maxBufferedBody) {

    public FrontDoorLimits {
        if (minThreads < 1 || maxThreads < minThreads) {
            throw new IllegalArgumentException("progdist.server.threads.min must be at least 1 and at most threads.max");
        }
        if (maxConnections < 1 || maxBufferedBody < 1 || minRequestDataRate < 0) {
            throw new IllegalArgumentException("progdist.server limits must be positive");
        }
        if (java.util.stream.Stream.of(idleTimeout, headerTimeout, idleTimeoutAtLimit, bodyReadTimeout)
                .anyMatch(d -> d.isNegative() || d.isZero())) {
            throw new IllegalArgumentException("progdist.server timeouts must be positive");
        }
    }
}
