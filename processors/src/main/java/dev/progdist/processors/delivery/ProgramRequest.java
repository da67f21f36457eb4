package dev.progdist.processors.delivery;

import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.protocol.channel.ChannelCode;
import java.util.Optional;

/**
 * Stage 1, program request: a TRP's Fetch on an authenticated second path. {@link #open} opens the
 * delivery's ledger row first, so that every refusal after it is recorded with its reason;
 * {@link #checkDevice} then makes sure the device is still trusted (the CRL and the registry may
 * have changed since the handshake). A Fetch that names an exact version is offered to the rollouts
 * ({@link RolloutLink#claim}) right after its ledger row opens: when the device has an assignment for
 * that program and version, the delivery serves it ({@link DeliveryContext#assignment()}) and its row
 * names the rollout. Sealed: integrators may add steps around it, not replace it.
 */
public class ProgramRequest {

    private final DeliveryLedger ledger;
    private final DeviceTrust trust;
    private final RolloutLink rollouts;

    /** @param rollouts the rollout engine, or {@link RolloutLink#NONE} where there are no rollouts */
    public ProgramRequest(DeliveryLedger ledger, DeviceTrust trust, RolloutLink rollouts) {
        this.ledger = ledger;
        this.trust = trust;
        this.rollouts = java.util.Objects.requireNonNull(rollouts, "rollouts");
    }

    /**
     * REQUESTED → OPENED: the ledger row, {@code requested}; linked to the device's rollout
     * assignment for exactly the requested program and version, if it has one (a Fetch for the
     * latest version never serves a rollout).
     */
    public DeliveryContext open(DeliveryContext delivery) {
        delivery.require(Stage.REQUESTED);
        DeviceSession device = delivery.device();
        DeliveryContext.Request request = delivery.request();
        String id = ledger.open(device.sessionId(), device.userId(), device.deviceId(), request.programId(),
                emptyToNull(request.version()), emptyToNull(request.mode()));
        DeliveryContext opened = delivery.opened(id);
        if (request.version().isEmpty()) {
            return opened;
        }
        try {
            Optional<RolloutLink.Assignment> assignment = rollouts.claim(device.deviceId(), request.programId(),
                    request.version(), id);
            if (assignment.isEmpty()) {
                return opened;
            }
            ledger.linkRollout(id, assignment.get().rolloutId());
            return opened.linked(assignment.get());
        } catch (RuntimeException e) {
            // the failure surfaces before this stage returns the context with the delivery ID, so the
            // channel could not record it: fail the row here (settling an assignment already claimed)
            ledger.failed(id, ChannelCode.INTERNAL_ERROR.label(), "the rollout link failed");
            throw e;
        }
    }

    /** OPENED → DEVICE_CHECKED. Raises the certificate and device codes of {@link DeviceTrust}. */
    public DeliveryContext checkDevice(DeliveryContext delivery) {
        delivery.require(Stage.OPENED);
        trust.requireTrusted(delivery.device());
        return delivery.at(Stage.DEVICE_CHECKED);
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }
}
