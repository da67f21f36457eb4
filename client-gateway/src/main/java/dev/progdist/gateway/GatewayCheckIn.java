package dev.progdist.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's check-in for every device it serves ({@code progdist.gateway.devices}), called by
 * the {@code check-in} route at {@code progdist.gateway.check-in-period}: one device after the
 * other in the gateway's one session, so one delivery at a time. A device whose last answer asked
 * for a longer pause ({@code checkInAfter}) than the period is skipped until then. A gateway that
 * was offline needs nothing special: the server keeps the offer until the next check-in.
 */
public class GatewayCheckIn {

    private final DeviceCheckIn checkIn;
    private final List<String> devices;
    private final Clock clock;
    private final Duration period;
    private final Map<String, Instant> notBefore = new ConcurrentHashMap<>();

    /** {@code period}: how often the route calls {@link #checkInAll()}. */
    public GatewayCheckIn(DeviceCheckIn checkIn, List<String> devices, Duration period, Clock clock) {
        this.checkIn = checkIn;
        this.devices = List.copyOf(devices);
        for (String d : this.devices) {
            dev.progdist.protocol.DeviceId.require(d);
        }
        this.clock = clock;
        this.period = period;
    }

    public List<String> devices() {
        return devices;
    }

    /** One round: checks in for each due device, in order; returns what each did (skipped devices left out). */
    public List<DeviceCheckIn.Result> checkInAll() {
        List<DeviceCheckIn.Result> results = new java.util.ArrayList<>();
        for (String device : devices) {
            Instant due = notBefore.get(device);
            Instant start = clock.instant();
            // due within half a period counts as due: the timer's ticks are not to the millisecond
            if (due != null && start.plus(period.dividedBy(2)).isBefore(due)) {
                continue;
            }
            DeviceCheckIn.Result r = checkIn.checkIn(device);
            Duration after = r.checkInAfter();
            if (after != null && after.compareTo(period) > 0) {
                notBefore.put(device, start.plus(after));
            } else {
                notBefore.remove(device);
            }
            results.add(r);
        }
        return results;
    }
}
