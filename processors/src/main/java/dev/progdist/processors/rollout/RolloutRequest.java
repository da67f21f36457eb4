package dev.progdist.processors.rollout;

import java.util.List;

/**
 * What an operator asks for when creating a rollout (the body of {@code POST /api/v1/rollouts}).
 * Every field but the program, the version and the targets may be null: the server's defaults apply.
 *
 * @param errorThreshold   {@code "10%"} (percent of a group's eligible devices) or {@code "3"} (a count)
 * @param deviceTimeout    ISO-8601 ({@code PT30M}) or {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}
 * @param retryBackoff     the same forms; the first retry waits this long, each further one twice as long
 * @param order            {@code registration} (default) or {@code random}
 * @param seed             the random order's seed (chosen and recorded when not given)
 * @param startAt          ISO instant: a started rollout waits until then
 * @param window           {@code HH:MM-HH:MM} (may wrap midnight) in {@code windowZone} (default UTC)
 */
public record RolloutRequest(String name, String programId, String version, String mode,
        Targets targets, List<GroupSpec> groups, Integer successThreshold, String onSuccess,
        String errorThreshold, Integer securityThreshold, String deviceTimeout,
        Integer retries, String retryBackoff, String order, Long seed, String startAt,
        String window, String windowZone, Boolean dynamic, Boolean freshKeyPerGroup, Boolean start) {

    /** Exactly one of: a list of device IDs, a filter expression ({@code owner=U device=GLOB tag=T}), all devices. */
    public record Targets(List<String> devices, String filter, Boolean all) {
    }

    /** One group: a cumulative percentage of the targets, or a filter over them (not both). */
    public record GroupSpec(Integer percent, String filter) {
    }
}
