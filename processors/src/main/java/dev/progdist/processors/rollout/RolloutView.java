package dev.progdist.processors.rollout;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A rollout as {@code GET /api/v1/rollouts/{id}} shows it. {@code counts} (whole rollout and per
 * group) has every assignment state as a key ({@code timed-out} with its hyphen), 0 when none.
 */
public record RolloutView(String id, String name, String programId, String version, String mode, String status,
        String reason, String reasonDetail, String createdBy, Instant createdAt, String decidedBy, Instant decidedAt,
        String decisionRemark, Instant startedAt, Instant endedAt, String retryOf, Targets targets, Settings settings,
        List<Group> groups, Map<String, Long> counts, long total, int securityFailures) {

    /** How the targets were chosen: {@code list}, {@code filter} (with the filter) or {@code all}. */
    public record Targets(String kind, String filter) {
    }

    /** The rollout's settings as stored (defaults applied). */
    public record Settings(int successThreshold, String onSuccess, String errorThreshold, int securityThreshold,
            String deviceTimeout, int retries, String retryBackoff, String order, Long seed, Instant startAt,
            String window, String windowZone, boolean dynamic, boolean freshKeyPerGroup, String groupSpec) {
    }

    /** One group. {@code errorThreshold} as given: {@code "10%"} or {@code "3"}. */
    public record Group(int group, String status, String selector, long size, int successThreshold,
            String errorThreshold, Instant startedAt, Instant endedAt, Map<String, Long> counts) {
    }
}
