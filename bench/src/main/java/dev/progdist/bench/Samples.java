package dev.progdist.bench;

import java.util.Arrays;

/** Durations in nanoseconds, one per measured operation; percentiles by nearest rank. */
public final class Samples {

    private long[] nanos = new long[64];
    private int count;

    public void add(long durationNanos) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        nanos[count++] = durationNanos;
    }

    public int count() {
        return count;
    }

    public long total() {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += nanos[i];
        }
        return sum;
    }

    public double meanMillis() {
        return count == 0 ? Double.NaN : total() / 1e6 / count;
    }

    /** The nearest-rank {@code p}-th percentile (0 &lt; p &lt;= 100) in milliseconds. */
    public double percentileMillis(double p) {
        if (count == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * count);
        return sorted[Math.max(0, Math.min(count, rank) - 1)] / 1e6;
    }

    public double maxMillis() {
        return percentileMillis(100);
    }

    /** Operations per second if done one after another at the mean duration. */
    public double ratePerSecond() {
        return count == 0 ? Double.NaN : count / (total() / 1e9);
    }
}
