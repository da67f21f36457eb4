package dev.progdist.processors.delivery;

import java.util.Optional;

/**
 * How a delivery learns that it serves a rollout. Program request asks {@link #claim} once the
 * ledger row exists; transmit asks {@link #stillWanted} before each window of a claimed delivery.
 * The rollout engine implements it; without rollouts ({@link #NONE}) every delivery is on its own.
 */
public interface RolloutLink {

    /** What a claimed delivery must follow: the rollout's envelope mode, its release-key scope. */
    record Assignment(String rolloutId, int groupNo, String mode, String releaseScope) {
    }

    /**
     * Links delivery {@code deliveryId} to the device's offered (or scheduled) assignment for exactly
     * {@code programId} {@code version}, in a running group of a running rollout inside its window,
     * and marks it {@code delivering}. Empty when no assignment matches: an ordinary delivery.
     */
    Optional<Assignment> claim(String deviceId, String programId, String version, String deliveryId);

    /** False once the assignment of {@code deliveryId} was cancelled (its rollout stopped). */
    boolean stillWanted(String deliveryId);

    RolloutLink NONE = new RolloutLink() {
        @Override
        public Optional<Assignment> claim(String deviceId, String programId, String version, String deliveryId) {
            return Optional.empty();
        }

        @Override
        public boolean stillWanted(String deliveryId) {
            return true;
        }
    };
}
