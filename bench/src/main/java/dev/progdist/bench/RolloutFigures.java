package dev.progdist.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The figures {@code bench rollout} computes from what it measured: per-device times from the
 * rollout's device pages, rates, CPU per device, and the ratio to the crypto-only bound. Pure
 * functions, so that they can be checked without running anything.
 */
public final class RolloutFigures {

    /** One device of a rollout's device pages ({@code GET /api/v1/rollouts/{id}/devices}). */
    public record DeviceRow(String deviceId, String state, String reason, Instant offeredAt, Instant startedAt,
            Instant finishedAt) {

        public boolean installed() {
            return "installed".equals(state);
        }
    }

    private RolloutFigures() {
    }

    /** The devices of one page. */
    public static List<DeviceRow> rows(JsonNode page) {
        List<DeviceRow> rows = new ArrayList<>();
        for (JsonNode d : page.path("devices")) {
            rows.add(new DeviceRow(d.path("deviceId").asText(), d.path("state").asText(),
                    d.path("reason").isNull() ? null : d.path("reason").asText(null), instant(d.path("offeredAt")),
                    instant(d.path("startedAt")), instant(d.path("finishedAt"))));
        }
        return rows;
    }

    /** An ISO-8601 instant, or seconds since the epoch with a fraction (as Jackson may write them); null if absent. */
    static Instant instant(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) {
            return null;
        }
        if (n.isNumber()) {
            BigDecimal seconds = new BigDecimal(n.asText()); // the shortest decimal of a double, not its binary value
            long whole = seconds.longValue();
            return Instant.ofEpochSecond(whole, seconds.subtract(BigDecimal.valueOf(whole)).movePointRight(9).longValue());
        }
        String s = n.asText("");
        return s.isEmpty() ? null : Instant.parse(s);
    }

    /**
     * Per-device times of the installed devices: {@code startedAt → finishedAt} (the delivery: second
     * path, envelope, install, receipt) or, with {@code fromOffered}, {@code offeredAt → finishedAt}
     * (also the wait between the offer and the gateway's fetch). Devices without both times are left out.
     */
    public static Samples durations(List<DeviceRow> rows, boolean fromOffered) {
        Samples s = new Samples();
        for (DeviceRow r : rows) {
            Instant from = fromOffered ? r.offeredAt() : r.startedAt();
            if (r.installed() && from != null && r.finishedAt() != null) {
                s.add(Math.max(0, Duration.between(from, r.finishedAt()).toNanos()));
            }
        }
        return s;
    }

    /** The earliest startedAt of all devices, if any started: when the first delivery began. */
    public static java.util.Optional<Instant> firstStarted(List<DeviceRow> rows) {
        return rows.stream().map(DeviceRow::startedAt).filter(java.util.Objects::nonNull).min(Instant::compareTo);
    }

    /** The latest finishedAt of all devices, if any finished. */
    public static java.util.Optional<Instant> lastFinished(List<DeviceRow> rows) {
        return rows.stream().map(DeviceRow::finishedAt).filter(java.util.Objects::nonNull).max(Instant::compareTo);
    }

    /** The devices that did not end installed, e.g. {@code fleet-0007 failed trp-storage-full}. */
    public static List<String> notInstalled(List<DeviceRow> rows) {
        List<String> out = new ArrayList<>();
        for (DeviceRow r : rows) {
            if (!r.installed()) {
                out.add(r.deviceId() + " " + r.state() + (r.reason() != null ? " " + r.reason() : ""));
            }
        }
        return out;
    }

    public static double perSecond(long count, long nanos) {
        return nanos <= 0 ? Double.NaN : count / (nanos / 1e9);
    }

    /** CPU milliseconds per device. */
    public static double cpuMillisPerDevice(Duration cpu, long devices) {
        return devices <= 0 ? Double.NaN : cpu.toNanos() / 1e6 / devices;
    }

    /**
     * The crypto-only bound in devices per second on {@code cores} cores: one core does
     * {@code 1000 / cryptoMillisPerDevice} devices a second, {@code cores} cores that many times more
     * (both ends' crypto run on the same machine's cores, as server and fleet do).
     */
    public static double cryptoBound(double cryptoMillisPerDevice, int cores) {
        return 1000.0 / cryptoMillisPerDevice * cores;
    }

    /** The median of {@code readings} (the mean of the middle two for an even count); at least one reading. */
    public static double median(double... readings) {
        if (readings.length == 0) {
            throw new IllegalArgumentException("no readings");
        }
        double[] sorted = readings.clone();
        java.util.Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** The bench's ratio: rollout devices/s divided by the crypto-only bound on all of the machine's cores. */
    public static double ratio(double rolloutPerSecond, double cryptoMillisPerDevice, int cores) {
        return rolloutPerSecond / cryptoBound(cryptoMillisPerDevice, cores);
    }

    /**
     * {@code --groups}: cumulative percentages, each 1..100, strictly increasing, the last 100
     * (e.g. {@code 5,25,100}); the empty list is one group of every device.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static List<Integer> groups(List<Integer> percentages) {
        if (percentages == null || percentages.isEmpty()) {
            return List.of(100);
        }
        int last = 0;
        for (int p : percentages) {
            if (p < 1 || p > 100 || p <= last) {
                throw new IllegalArgumentException("--groups must be increasing cumulative percentages from 1 to 100"
                        + " ending with 100, e.g. 5,25,100; not " + percentages);
            }
            last = p;
        }
        if (last != 100) {
            throw new IllegalArgumentException("--groups must end with 100 (every device), not " + percentages);
        }
        return List.copyOf(percentages);
    }
}
