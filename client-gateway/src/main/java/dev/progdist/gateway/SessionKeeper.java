package dev.progdist.gateway;

import dev.progdist.protocol.wire.ProblemType;
import dev.progdist.protocol.wire.SessionResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the gateway's first-path session: logs in once, refreshes it before it expires, and logs
 * in again if the server has dropped it. Thread-safe. The secret stays in memory only, in this
 * object, for re-login; {@link #close()} wipes it and ends the session.
 */
public class SessionKeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SessionKeeper.class);

    private final FirstPathClient client;
    private final String userId;
    private final char[] secret;
    private final Duration refreshMargin;
    private final Clock clock;
    private SessionResponse session;
    /** The current session's expiry, readable without the lock (a login may hold it for seconds). */
    private volatile java.time.Instant liveUntil;

    public SessionKeeper(FirstPathClient client, String userId, char[] secret, Duration refreshMargin, Clock clock) {
        this.client = client;
        this.userId = userId;
        this.secret = secret.clone();
        this.refreshMargin = refreshMargin;
        this.clock = clock;
    }

    /** The live session, logging in first if there is none. */
    public synchronized SessionResponse session() {
        if (session == null || !clock.instant().isBefore(session.expiresAt())) {
            set(client.login(userId, secret));
            LOG.info("Logged in to {} as {}, session {} until {}", client.server(), userId, session.sessionId(),
                    session.expiresAt());
        }
        return session;
    }

    /**
     * True while this keeper holds a session that has not expired (the server may still have
     * dropped it). Never waits for a login in progress.
     */
    public boolean loggedIn() {
        java.time.Instant until = liveUntil;
        return until != null && clock.instant().isBefore(until);
    }

    private void set(SessionResponse s) {
        session = s;
        liveUntil = s == null ? null : s.expiresAt();
    }

    /**
     * Drops {@code lost} (the server said its token is invalid or expired) if it is still the
     * current session, so that the next {@link #session()} logs in again.
     */
    public synchronized void forget(SessionResponse lost) {
        if (session != null && session.sessionId().equals(lost.sessionId())) {
            LOG.info("Session {} is gone, logging in again at the next use", lost.sessionId());
            set(null);
        }
    }

    /** Called periodically: refreshes when the session is close to expiry, re-logs in when it was lost. */
    public synchronized void renewIfDue() {
        if (session == null) {
            session();
            return;
        }
        if (clock.instant().plus(refreshMargin).isBefore(session.expiresAt())) {
            return;
        }
        try {
            SessionResponse refreshed = client.refresh(session);
            set(new SessionResponse(session.sessionId(), session.token(), refreshed.expiresAt(),
                    session.userId(), session.role()));
            LOG.info("Session {} refreshed until {}", session.sessionId(), session.expiresAt());
        } catch (FirstPathException e) {
            if (e.problem() == ProblemType.SESSION_EXPIRED || e.problem() == ProblemType.INVALID_TOKEN) {
                LOG.info("Session {} is gone ({}), logging in again", session.sessionId(), e.problem().code());
                set(null);
                session();
            } else {
                throw e;
            }
        }
    }

    @Override
    public synchronized void close() {
        if (session != null) {
            try {
                client.logout(session);
            } catch (FirstPathException e) {
                LOG.warn("Logout failed: {}", e.getMessage());
            }
            set(null);
        }
        Arrays.fill(secret, '\0');
    }
}
