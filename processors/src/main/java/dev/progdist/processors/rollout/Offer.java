package dev.progdist.processors.rollout;

/** What a checking-in gateway should have its TRP fetch: exactly this program version in this mode. */
public record Offer(String rolloutId, String programId, String version, String mode) {
}
