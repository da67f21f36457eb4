package dev.progdist.processors.delivery;

/**
 * Checks again, during a delivery, what may have changed since the second path's handshake: the
 * certificate chain (validity now, and the CRL) and the device registration (still registered,
 * active, owned by the session's user). Delivery stages call it before they produce anything for
 * the TRP, so revoking or disabling a device stops a delivery in progress at its next window.
 */
@FunctionalInterface
public interface DeviceTrust {

    /**
     * @throws DeliveryException with the certificate or device code ({@code cert-revoked},
     *         {@code device-disabled}, ...) if the device is no longer trusted
     */
    void requireTrusted(DeviceSession device);
}
