package dev.progdist.processors.rollout;

import java.time.Duration;
import java.util.Objects;

/**
 * The server's rollout settings ({@code progdist.rollout.*}): whether rollouts need approval, what
 * a check-in answer tells the gateway, the defaults of a request's optional fields, and how many
 * scheduler failures in a row fail a rollout.
 *
 * @param checkInAfter          the shortest pause a check-in answer asks for
 * @param defaultErrorThreshold {@code "20%"} or a count such as {@code "3"}
 * @param checkInRate           check-ins per second that all live sessions together should stay under:
 *                              the pause asked for is stretched to sessions / rate seconds when that is
 *                              longer than {@code checkInAfter}; 0 leaves it at {@code checkInAfter}
 */
public record RolloutSettings(boolean approval, Duration checkInAfter, Duration defaultDeviceTimeout,
        int defaultRetries, Duration defaultRetryBackoff, int defaultSuccessThreshold, String defaultErrorThreshold,
        int defaultSecurityThreshold, int maxSchedulerErrors, int checkInRate) {

    public RolloutSettings {
        Objects.requireNonNull(checkInAfter, "checkInAfter");
        Objects.requireNonNull(defaultDeviceTimeout, "defaultDeviceTimeout");
        Objects.requireNonNull(defaultRetryBackoff, "defaultRetryBackoff");
        Objects.requireNonNull(defaultErrorThreshold, "defaultErrorThreshold");
        if (maxSchedulerErrors < 1) {
            throw new IllegalArgumentException("maxSchedulerErrors must be at least 1");
        }
        if (checkInRate < 0) {
            throw new IllegalArgumentException("checkInRate must be 0 (off) or more");
        }
    }

    /** The documented defaults of server.properties. */
    public static RolloutSettings defaults() {
        return new RolloutSettings(false, Duration.ofSeconds(5), Duration.ofMinutes(30), 0, Duration.ofSeconds(30),
                100, "20%", 1, 3, 200);
    }

    /**
     * The settings from {@code progdist.rollout.*} properties ({@code property} answers null for an
     * unset one, which keeps its default): {@code approval}, {@code check-in-after},
     * {@code default-device-timeout}, {@code default-retries}, {@code default-retry-backoff},
     * {@code default-success-threshold}, {@code default-error-threshold},
     * {@code default-security-threshold}, {@code max-scheduler-errors}, {@code check-in-rate}.
     *
     * @throws IllegalArgumentException naming the property whose value is not valid
     */
    public static RolloutSettings of(java.util.function.Function<String, String> property) {
        RolloutSettings d = defaults();
        try {
            return new RolloutSettings(
                    Boolean.parseBoolean(value(property, "approval", Boolean.toString(d.approval()))),
                    duration(property, "check-in-after", d.checkInAfter()),
                    duration(property, "default-device-timeout", d.defaultDeviceTimeout()),
                    integer(property, "default-retries", d.defaultRetries()),
                    duration(property, "default-retry-backoff", d.defaultRetryBackoff()),
                    integer(property, "default-success-threshold", d.defaultSuccessThreshold()),
                    value(property, "default-error-threshold", d.defaultErrorThreshold()),
                    integer(property, "default-security-threshold", d.defaultSecurityThreshold()),
                    integer(property, "max-scheduler-errors", d.maxSchedulerErrors()),
                    integer(property, "check-in-rate", d.checkInRate()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("progdist.rollout settings: " + e.getMessage(), e);
        }
    }

    private static String value(java.util.function.Function<String, String> property, String name, String fallback) {
        String v = property.apply("progdist.rollout." + name);
        return v == null || v.isBlank() ? fallback : v.strip();
    }

    private static Duration duration(java.util.function.Function<String, String> property, String name,
            Duration fallback) {
        String v = value(property, name, null);
        try {
            return v == null ? fallback : Durations.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("progdist.rollout." + name + " '" + v + "' is not a duration");
        }
    }

    private static int integer(java.util.function.Function<String, String> property, String name, int fallback) {
        String v = value(property, name, null);
        try {
            return v == null ? fallback : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("progdist.rollout." + name + " '" + v + "' is not a number");
        }
    }

    public RolloutSettings withCheckInAfter(Duration after) {
        return new RolloutSettings(approval, after, defaultDeviceTimeout, defaultRetries, defaultRetryBackoff,
                defaultSuccessThreshold, defaultErrorThreshold, defaultSecurityThreshold, maxSchedulerErrors, checkInRate);
    }

    public RolloutSettings withCheckInRate(int rate) {
        return new RolloutSettings(approval, checkInAfter, defaultDeviceTimeout, defaultRetries, defaultRetryBackoff,
                defaultSuccessThreshold, defaultErrorThreshold, defaultSecurityThreshold, maxSchedulerErrors, rate);
    }

    public RolloutSettings withApproval(boolean on) {
        return new RolloutSettings(on, checkInAfter, defaultDeviceTimeout, defaultRetries, defaultRetryBackoff,
                defaultSuccessThreshold, defaultErrorThreshold, defaultSecurityThreshold, maxSchedulerErrors, checkInRate);
    }
}
