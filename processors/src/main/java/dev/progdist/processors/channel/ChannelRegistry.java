package dev.progdist.processors.channel;

import dev.progdist.processors.http.ProblemException;
import dev.progdist.protocol.wire.ProblemType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The live second paths of this server instance, one per first-path session. Bounded three ways:
 * at most {@code maxChannels} in all (ended channels count until they expire), at most
 * {@code maxPerUser} that have not ended for one user (a user who runs one channel after another,
 * each in a new session, is not refused for the ended ones; the total and the rate bound those), and
 * at most {@code maxNewPerSession} new channels per session
 * within {@code newWindow} (each refused handshake is a {@code channel_events} row, so this also
 * bounds how fast one session can add rows). Channels idle longer than the timeout are dropped by
 * {@link #expireIdle}. Channels live in the instance that started them (a load balancer keeps a
 * session on its instance).
 */
public class ChannelRegistry {

    /**
     * Heap one channel holds while its handshake is under way (TLS engine, buffers, the server's
     * first flight), as measured in the security review: about 73 KB. The default of
     * {@code progdist.channel.max-open} gives channels a quarter of the heap.
     */
    public static final long HEAP_PER_CHANNEL = 73 * 1024;

    /** The limits; see the class comment. */
    public record Limits(int maxChannels, int maxPerUser, int maxNewPerSession, Duration newWindow) {
        public Limits {
            if (maxChannels < 1 || maxPerUser < 1 || maxNewPerSession < 1 || newWindow.isNegative()) {
                throw new IllegalArgumentException("channel limits must be positive: " + maxChannels + ", "
                        + maxPerUser + ", " + maxNewPerSession + ", " + newWindow);
            }
        }

    }

    private final Map<String, ServerChannel> channels = new ConcurrentHashMap<>();
    /** When each session started its recent channels, oldest first (guarded by {@code this}). */
    private final Map<String, Deque<Instant>> starts = new ConcurrentHashMap<>();
    private final Limits limits;
    private final Duration idleTimeout;
    private final Clock clock;

    public ChannelRegistry(Limits limits, Duration idleTimeout, Clock clock) {
        this.limits = limits;
        this.idleTimeout = idleTimeout;
        this.clock = clock;
    }

    /** The default total: a quarter of {@code maxHeapBytes} at {@link #HEAP_PER_CHANNEL} each, at least 16. */
    public static int defaultMaxChannels(long maxHeapBytes) {
        return (int) Math.max(16, Math.min(Integer.MAX_VALUE, maxHeapBytes / 4 / HEAP_PER_CHANNEL));
    }

    /**
     * The session's channel, created by {@code factory} if it has none.
     *
     * @throws ProblemException {@code too-many-channels} when the server holds its maximum,
     *                          {@code too-many-user-channels} when the user does, and
     *                          {@code channel-rate-limited} (with when to retry) when the session
     *                          started its maximum of channels within the window
     */
    public ServerChannel getOrCreate(String sessionId, String userId, Supplier<ServerChannel> factory) {
        ServerChannel existing = channels.get(sessionId);
        if (existing != null) {
            return existing;
        }
        // creating is rare next to feeding: one lock makes the three checks and the insert one step
        synchronized (this) {
            existing = channels.get(sessionId);
            if (existing != null) {
                return existing;
            }
            if (channels.size() >= limits.maxChannels()) {
                throw new ProblemException(ProblemType.TOO_MANY_CHANNELS, null);
            }
            if (countFor(userId) >= limits.maxPerUser()) {
                throw new ProblemException(ProblemType.TOO_MANY_USER_CHANNELS, "this user already has "
                        + limits.maxPerUser() + " second paths open: end one, or wait until one ends or goes idle",
                        idleTimeout);
            }
            Instant now = clock.instant();
            Deque<Instant> recent = starts.computeIfAbsent(sessionId, k -> new ArrayDeque<>());
            Instant windowStart = now.minus(limits.newWindow());
            while (!recent.isEmpty() && !recent.peekFirst().isAfter(windowStart)) {
                recent.pollFirst();
            }
            if (recent.size() >= limits.maxNewPerSession()) {
                throw new ProblemException(ProblemType.CHANNEL_RATE_LIMITED, "this session started "
                        + recent.size() + " second paths within " + limits.newWindow() + ": wait before the next",
                        Duration.between(windowStart, recent.peekFirst()));
            }
            ServerChannel created = factory.get();
            channels.put(sessionId, created);
            recent.addLast(now);
            return created;
        }
    }

    /** The user's channels that have not ended. */
    private int countFor(String userId) {
        int n = 0;
        for (ServerChannel c : channels.values()) {
            if (c.userId().equals(userId) && !c.finished()) {
                n++;
            }
        }
        return n;
    }

    public Optional<ServerChannel> find(String sessionId) {
        return Optional.ofNullable(channels.get(sessionId));
    }

    /** Removes {@code channel} if it is still the session's channel. */
    public boolean remove(String sessionId, ServerChannel channel) {
        return channels.remove(sessionId, channel);
    }

    /** Removes the session's channel, and forgets the session's recent starts (it has ended). */
    public Optional<ServerChannel> remove(String sessionId) {
        starts.remove(sessionId);
        return Optional.ofNullable(channels.remove(sessionId));
    }

    /** Removes and returns the channels idle longer than the timeout; forgets starts older than the window. */
    public List<ServerChannel> expireIdle() {
        Instant now = clock.instant();
        Instant limit = now.minus(idleTimeout);
        List<ServerChannel> expired = new ArrayList<>();
        for (ServerChannel c : channels.values()) {
            if (c.lastActivity().isBefore(limit) && channels.remove(c.sessionId(), c)) {
                expired.add(c);
            }
        }
        Instant windowStart = now.minus(limits.newWindow());
        synchronized (this) {
            starts.entrySet().removeIf(e -> e.getValue().isEmpty() || !e.getValue().peekLast().isAfter(windowStart));
        }
        return expired;
    }

    /** The sessions that have a channel that has not ended. */
    public List<String> sessionsWithLiveChannels() {
        List<String> out = new ArrayList<>();
        for (ServerChannel c : channels.values()) {
            if (!c.finished()) {
                out.add(c.sessionId());
            }
        }
        return out;
    }

    public int size() {
        return channels.size();
    }
}
