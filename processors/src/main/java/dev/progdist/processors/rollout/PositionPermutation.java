package dev.progdist.processors.rollout;

import java.util.Random;

/**
 * A random but replayable order of {@code n} targets without holding them: a keyed bijection of
 * {@code [0, n)} (a four-round Feistel network over the next power of two, walked until it lands
 * inside the range), its round keys drawn from {@code java.util.Random(seed)}. Target {@code i} in
 * registration order gets position {@link #apply(long) apply(i)}; the same seed gives the same order.
 */
final class PositionPermutation {

    private final long n;
    private final int halfBits;
    private final long halfMask;
    private final long[] keys = new long[4];

    PositionPermutation(long n, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be positive");
        }
        this.n = n;
        int bits = Math.max(2, 64 - Long.numberOfLeadingZeros(n - 1));
        bits += bits & 1;
        this.halfBits = bits / 2;
        this.halfMask = (1L << halfBits) - 1;
        Random random = new Random(seed);
        for (int i = 0; i < keys.length; i++) {
            keys[i] = random.nextLong();
        }
    }

    long apply(long i) {
        if (i < 0 || i >= n) {
            throw new IllegalArgumentException("index out of range");
        }
        long x = i;
        do {
            x = round(x);
        } while (x >= n);
        return x;
    }

    private long round(long x) {
        long left = x >>> halfBits;
        long right = x & halfMask;
        for (long key : keys) {
            long f = mix(right ^ key) & halfMask;
            long next = left ^ f;
            left = right;
            right = next;
        }
        return (left << halfBits) | right;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
