package dev.progdist.server;

import dev.progdist.processors.auth.LoginThrottle;
import dev.progdist.processors.auth.SessionStore;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Periodic clean-up of state that only grows: ended sessions and stale login-failure counts. */
public class Housekeeping {

    private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);

    private final SessionStore sessions;
    private final LoginThrottle throttle;
    private final Duration keepSessions;
    private final Duration keepFailures;

    public Housekeeping(SessionStore sessions, LoginThrottle throttle, Duration keepSessions, Duration keepFailures) {
        this.sessions = sessions;
        this.throttle = throttle;
        this.keepSessions = keepSessions;
        this.keepFailures = keepFailures;
    }

    public void run() {
        int s = sessions.purgeExpired(keepSessions);
        int f = throttle.purgeStale(keepFailures);
        if (s + f > 0) {
            LOG.info("Housekeeping removed {} ended session(s) and {} stale login-failure count(s)", s, f);
        }
    }
}
