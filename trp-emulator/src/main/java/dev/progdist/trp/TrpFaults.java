package dev.progdist.trp;

import java.time.Duration;

/**
 * Which {@link TrpFault} one TRP shows, if any, and how long a {@link TrpFault#SLOW} TRP waits
 * before each answer. {@link #NONE} for every TRP unless told otherwise.
 */
public record TrpFaults(TrpFault fault, Duration slowDelay) {

    public static final Duration DEFAULT_SLOW_DELAY = Duration.ofSeconds(2);
    public static final TrpFaults NONE = new TrpFaults(null, DEFAULT_SLOW_DELAY);

    public TrpFaults {
        if (slowDelay == null || slowDelay.isNegative() || slowDelay.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("the slow fault's delay must be 0 to 10 minutes");
        }
    }

    public static TrpFaults of(TrpFault fault) {
        return new TrpFaults(fault, DEFAULT_SLOW_DELAY);
    }

    public boolean has(TrpFault f) {
        return fault == f;
    }
}
