package dev.progdist.processors.delivery;

import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.program.DeliveryLedger;

/**
 * Stage 1, program request: a TRP's Fetch on an authenticated second path. {@link #open} opens the
 * delivery's ledger row first, so that every refusal after it is recorded with its reason;
 * {@link #checkDevice} then makes sure the device is still trusted (the CRL and the registry may
 * have changed since the handshake). Sealed: integrators may add steps around it, not replace it.
 */
public class ProgramRequest {

    private final DeliveryLedger ledger;
    private final DeviceTrust trust;

    public ProgramRequest(DeliveryLedger ledger, DeviceTrust trust) {
        this.ledger = ledger;
        this.trust = trust;
    }

    /** REQUESTED → OPENED: the ledger row, {@code requested}. */
    public DeliveryContext open(DeliveryContext delivery) {
        delivery.require(Stage.REQUESTED);
        DeviceSession device = delivery.device();
        DeliveryContext.Request request = delivery.request();
        String id = ledger.open(device.sessionId(), device.userId(), device.deviceId(), request.programId(),
                emptyToNull(request.version()), emptyToNull(request.mode()));
        return delivery.opened(id);
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
