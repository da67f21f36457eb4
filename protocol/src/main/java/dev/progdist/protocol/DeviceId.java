package dev.progdist.protocol;

import java.util.regex.Pattern;

/**
 * Device identifiers appear in certificate subjects, queue names and file paths, so they are
 * restricted to a conservative alphabet: 1 to 64 of {@code A-Z a-z 0-9 _ -}, starting with a
 * letter or digit.
 */
public final class DeviceId {

    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    private DeviceId() {
    }

    public static boolean isValid(String deviceId) {
        return deviceId != null && VALID.matcher(deviceId).matches();
    }

    /** Returns {@code deviceId} or throws {@link IllegalArgumentException} saying what is allowed. */
    public static String require(String deviceId) {
        if (!isValid(deviceId)) {
            throw new IllegalArgumentException(
                    "invalid device ID: use 1 to 64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit");
        }
        return deviceId;
    }

    /**
     * The form under which two device IDs are the same device: lower case, with {@code _} read as
     * {@code -}. IDs equal in this form would share a TRP directory on a case-insensitive file
     * system and a {@code PROGDIST_…_PASSWORD} variable (which upper-cases and maps {@code -} to
     * {@code _}), so only one of them may exist. The device registry's unique index uses the same
     * expression ({@code REPLACE(LOWER(device_id), '_', '-')}).
     */
    public static String folded(String deviceId) {
        return require(deviceId).toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** Device-bus queue the TRP reads its requests from. */
    public static String inboundQueue(String deviceId) {
        return "trp." + require(deviceId) + ".in";
    }

    /** Device-bus queue the TRP writes its replies to. */
    public static String outboundQueue(String deviceId) {
        return "trp." + require(deviceId) + ".out";
    }
}
