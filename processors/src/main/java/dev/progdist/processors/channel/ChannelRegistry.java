package dev.progdist.processors.channel;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The live second paths of this server instance, one per first-path session. Bounded in number;
 * channels idle longer than the timeout are dropped by {@link #expireIdle}. Channels live in the
 * instance that started them (a load balancer keeps a session on its instance).
 */
public class ChannelRegistry {

    private final Map<String, ServerChannel> channels = new ConcurrentHashMap<>();
    private final int maxChannels;
    private final Duration idleTimeout;
    private final Clock clock;

    public ChannelRegistry(int maxChannels, Duration idleTimeout, Clock clock) {
        this.maxChannels = maxChannels;
        this.idleTimeout = idleTimeout;
        this.clock = clock;
    }

    /** The session's channel, created by {@code factory} if it has none; empty when full. */
    public Optional<ServerChannel> getOrCreate(String sessionId, Supplier<ServerChannel> factory) {
        ServerChannel existing = channels.get(sessionId);
        if (existing != null) {
            return Optional.of(existing);
        }
        if (channels.size() >= maxChannels) {
            return Optional.empty();
        }
        return Optional.of(channels.computeIfAbsent(sessionId, k -> factory.get()));
    }

    public Optional<ServerChannel> find(String sessionId) {
        return Optional.ofNullable(channels.get(sessionId));
    }

    /** Removes {@code channel} if it is still the session's channel. */
    public boolean remove(String sessionId, ServerChannel channel) {
        return channels.remove(sessionId, channel);
    }

    public Optional<ServerChannel> remove(String sessionId) {
        return Optional.ofNullable(channels.remove(sessionId));
    }

    /** Removes and returns the channels idle longer than the timeout. */
    public List<ServerChannel> expireIdle() {
        Instant limit = clock.instant().minus(idleTimeout);
        List<ServerChannel> expired = new ArrayList<>();
        for (ServerChannel c : channels.values()) {
            if (c.lastActivity().isBefore(limit) && channels.remove(c.sessionId(), c)) {
                expired.add(c);
            }
        }
        return expired;
    }

    public int size() {
        return channels.size();
    }
}
