package dev.progdist.processors.rollout;

import java.time.Instant;

/** One line of the rollout list: what it delivers, where it stands, and its headline counts. */
public record RolloutSummary(String id, String name, String programId, String version, String mode, String status,
        String reason, String createdBy, Instant createdAt, Instant startedAt, Instant endedAt, long targets,
        long installed, long failed, long excluded) {
}
