package dev.progdist.processors.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.protocol.tls.TlsEndpoint;
import dev.progdist.protocol.wire.ProblemType;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/** The bounds on second paths: in all, per user, and new ones per session per window. */
class ChannelRegistryTest {

    private static final Duration IDLE = Duration.ofMinutes(2);

    private final MutableClock clock = new MutableClock();

    private ServerChannel channel(String sessionId, String userId) {
        try {
            return new ServerChannel(sessionId, userId, TlsEndpoint.server(SSLContext.getDefault()), clock.instant(),
                    new AtomicReference<>(), new AtomicReference<>());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private ServerChannel open(ChannelRegistry r, String sessionId, String userId) {
        return r.getOrCreate(sessionId, userId, () -> channel(sessionId, userId));
    }

    private static void assertRefused(Runnable call, ProblemType type) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ProblemException.class,
                e -> assertThat(e.type()).isEqualTo(type));
    }

    @Test
    void theTotalIsBounded() {
        ChannelRegistry r = new ChannelRegistry(new ChannelRegistry.Limits(2, 10, 10, Duration.ofMinutes(1)), IDLE,
                clock);
        open(r, "s1", "alice");
        open(r, "s2", "bob");
        assertRefused(() -> open(r, "s3", "carol"), ProblemType.TOO_MANY_CHANNELS);
        // an existing channel is still found
        assertThat(open(r, "s1", "alice").sessionId()).isEqualTo("s1");
    }

    @Test
    void oneUsersChannelsAreBoundedAndOthersAreNotAffected() {
        ChannelRegistry r = new ChannelRegistry(new ChannelRegistry.Limits(100, 2, 10, Duration.ofMinutes(1)), IDLE,
                clock);
        open(r, "a1", "alice");
        open(r, "a2", "alice");
        assertThatThrownBy(() -> open(r, "a3", "alice")).isInstanceOfSatisfying(ProblemException.class, e -> {
            assertThat(e.type()).isEqualTo(ProblemType.TOO_MANY_USER_CHANNELS);
            assertThat(e.type().status()).isEqualTo(429);
            assertThat(e.retryAfter()).isEqualTo(IDLE);
        });
        open(r, "b1", "bob");
        r.remove("a1");
        ServerChannel a3 = open(r, "a3", "alice");
        // an ended channel does not count for its user (only for the total, until it expires)
        a3.finish();
        open(r, "a4", "alice");
        assertRefused(() -> open(r, "a5", "alice"), ProblemType.TOO_MANY_USER_CHANNELS);
    }

    @Test
    void newChannelsPerSessionAreRateLimitedWithinTheWindow() {
        ChannelRegistry r = new ChannelRegistry(new ChannelRegistry.Limits(100, 100, 3, Duration.ofMinutes(1)), IDLE,
                clock);
        for (int i = 0; i < 3; i++) {
            ServerChannel c = open(r, "s1", "alice");
            // an ended channel makes way for the next, as InnerChannel does
            assertThat(r.remove("s1", c)).isTrue();
            clock.advance(Duration.ofSeconds(10));
        }
        // three started at t=0, 10 s and 20 s; now t=30 s: the oldest leaves the window at t=60 s
        assertThatThrownBy(() -> open(r, "s1", "alice")).isInstanceOfSatisfying(ProblemException.class, e -> {
            assertThat(e.type()).isEqualTo(ProblemType.CHANNEL_RATE_LIMITED);
            assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(30));
        });
        open(r, "s2", "alice"); // another session of the same user has its own allowance
        clock.advance(Duration.ofSeconds(30));
        open(r, "s1", "alice");
    }

    @Test
    void theDefaultTotalGivesChannelsAQuarterOfTheHeap() {
        assertThat(ChannelRegistry.defaultMaxChannels(256L << 20)).isEqualTo((int) ((256L << 20) / 4 / (73 * 1024)));
        assertThat(ChannelRegistry.defaultMaxChannels(256L << 20)).isEqualTo(897);
        assertThat(ChannelRegistry.defaultMaxChannels(1L << 20)).isEqualTo(16);
    }

    /**
     * One request at a time holds a channel, and only the holder frees it: the release of an earlier
     * request that comes late (its completion callback after its answer was written and the next
     * request started) must not free the channel under the next one.
     */
    @org.junit.jupiter.api.Test
    void onlyTheRequestHoldingAChannelFreesIt() {
        ServerChannel c = channel("s-hold", "u-hold");
        Object first = new Object();
        Object second = new Object();
        org.assertj.core.api.Assertions.assertThat(c.tryAcquire(first)).isTrue();
        org.assertj.core.api.Assertions.assertThat(c.tryAcquire(second)).isFalse();
        c.release(first);
        org.assertj.core.api.Assertions.assertThat(c.tryAcquire(second)).isTrue();
        c.release(first); // late: must not free the channel under `second`
        org.assertj.core.api.Assertions.assertThat(c.tryAcquire(new Object())).isFalse();
        c.release(second);
        org.assertj.core.api.Assertions.assertThat(c.tryAcquire(first)).isTrue();
    }
}
