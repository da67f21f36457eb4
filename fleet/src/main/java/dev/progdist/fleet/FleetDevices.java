package dev.progdist.fleet;

import dev.progdist.protocol.DeviceId;
import java.util.ArrayList;
import java.util.List;

/** The device IDs of a fleet: {@code <prefix>-0001} … {@code <prefix>-<N>} (at least four digits). */
public final class FleetDevices {

    /** The largest fleet one process runs or provisions. */
    public static final int MAX_DEVICES = 100_000;

    private FleetDevices() {
    }

    /**
     * @throws IllegalArgumentException for a prefix that would not make valid device IDs, or a
     *                                  count outside 1..{@value #MAX_DEVICES}
     */
    public static List<String> ids(String prefix, int count) {
        if (count < 1 || count > MAX_DEVICES) {
            throw new IllegalArgumentException("--devices must be 1 to " + MAX_DEVICES + ", not " + count);
        }
        if (prefix == null || prefix.isEmpty() || !DeviceId.isValid(prefix) || prefix.length() > 50) {
            throw new IllegalArgumentException("--prefix must be 1 to 50 characters of A-Z a-z 0-9 _ -, starting with "
                    + "a letter or digit");
        }
        List<String> ids = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            ids.add(id(prefix, i));
        }
        return ids;
    }

    /** The ID of the {@code n}th device (from 1). */
    public static String id(String prefix, int n) {
        return DeviceId.require(String.format("%s-%04d", prefix, n));
    }
}
