package dev.progdist.processors.rollout;

import java.time.Duration;
import java.util.Objects;

/**
 * The server's rollout settings ({@code progdist.rollout.*}): whether rollouts need approval, what
 * a check-in answer tells the gateway, the defaults of a request's optional fields, and how many
 * scheduler failures in a row fail a rollout.
 *
 * @param defaultErrorThreshold {@code "20%"} or a count such as {@code "3"}
 */
public record RolloutSettings(boolean approval, Duration checkInAfter, Duration defaultDeviceTimeout,
        int defaultRetries, Duration defaultRetryBackoff, int defaultSuccessThreshold, String defaultErrorThreshold,
        int defaultSecurityThreshold, int maxSchedulerErrors) {

    public RolloutSettings {
        Objects.requireNonNull(checkInAfter, "checkInAfter");
        Objects.requireNonNull(defaultDeviceTimeout, "defaultDeviceTimeout");
        Objects.requireNonNull(defaultRetryBackoff, "defaultRetryBackoff");
        Objects.requireNonNull(defaultErrorThreshold, "defaultErrorThreshold");
        if (maxSchedulerErrors < 1) {
            throw new IllegalArgumentException("maxSchedulerErrors must be at least 1");
        }
    }

    /** The documented defaults of server.properties. */
    public static RolloutSettings defaults() {
        return new RolloutSettings(false, Duration.ofSeconds(5), Duration.ofMinutes(30), 0, Duration.ofSeconds(30),
                100, "20%", 1, 3);
    }

    public RolloutSettings withApproval(boolean on) {
        return new RolloutSettings(on, checkInAfter, defaultDeviceTimeout, defaultRetries, defaultRetryBackoff,
                defaultSuccessThreshold, defaultErrorThreshold, defaultSecurityThreshold, maxSchedulerErrors);
    }
}
