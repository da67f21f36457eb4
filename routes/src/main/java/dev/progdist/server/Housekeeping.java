package dev.progdist.server;

import dev.progdist.processors.auth.LoginThrottle;
import dev.progdist.processors.auth.SessionStore;
import dev.progdist.processors.channel.ChannelLog;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic clean-up of state that only grows: ended sessions, stale login-failure counts, and the
 * channel events (older than a setting, and beyond a maximum number of rows).
 */
public class Housekeeping {

    private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);

    private final SessionStore sessions;
    private final LoginThrottle throttle;
    private final Duration keepSessions;
    private final Duration keepFailures;
    private final ChannelLog channelLog;
    private final Duration keepChannelEvents;
    private final long maxChannelEvents;

    public Housekeeping(SessionStore sessions, LoginThrottle throttle, Duration keepSessions, Duration keepFailures,
            ChannelLog channelLog, Duration keepChannelEvents, long maxChannelEvents) {
        this.sessions = sessions;
        this.throttle = throttle;
        this.keepSessions = keepSessions;
        this.keepFailures = keepFailures;
        this.channelLog = channelLog;
        this.keepChannelEvents = keepChannelEvents;
        this.maxChannelEvents = maxChannelEvents;
    }

    public void run() {
        int s = sessions.purgeExpired(keepSessions);
        int f = throttle.purgeStale(keepFailures);
        int e = channelLog.purge(keepChannelEvents, maxChannelEvents);
        if (s + f + e > 0) {
            LOG.info("Housekeeping removed {} ended session(s), {} stale login-failure count(s) and {} channel "
                    + "event(s)", s, f, e);
        }
    }
}
