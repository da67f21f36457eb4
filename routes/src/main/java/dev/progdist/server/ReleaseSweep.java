package dev.progdist.server;

import dev.progdist.processors.delivery.ReleaseCache;
import dev.progdist.processors.rollout.Rollouts;
import java.util.Set;

/**
 * Ends the cached releases (content key wiped, ciphertext deleted) of rollouts that have ended,
 * whichever instance ended them: the scheduler route runs it every tick. Only this instance's
 * cache is read; a handful of rollouts at most are looked up, by status alone (no counts).
 */
public class ReleaseSweep {

    private static final Set<String> LIVE = Set.of("running", "paused", "stopping");

    private final ReleaseCache releases;
    private final Rollouts rollouts;

    public ReleaseSweep(ReleaseCache releases, Rollouts rollouts) {
        this.releases = releases;
        this.rollouts = rollouts;
    }

    /** @return how many releases were ended */
    public int run() {
        int ended = 0;
        for (String id : releases.rolloutIds()) {
            if (!rollouts.status(id).filter(LIVE::contains).isPresent()) {
                ended += releases.end(id);
            }
        }
        return ended;
    }
}
