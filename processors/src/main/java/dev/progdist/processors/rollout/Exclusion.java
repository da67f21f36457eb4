package dev.progdist.processors.rollout;

import dev.progdist.processors.pki.CertificateValidation;
import dev.progdist.processors.pki.DeviceCertificateException;
import dev.progdist.protocol.keys.Pem;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which targets get nothing: a disabled (or vanished) device, a stored certificate that has
 * expired, or one the server's certificate validation (the manufacturer CA's CRL) refuses. A
 * device without a stored certificate is not excluded: its handshake still checks it. When the
 * revocation status cannot be determined (no fresh CRL) the device is not excluded either, since
 * exclusion is final and the trouble is the server's: the handshake fails closed instead.
 */
final class Exclusion {

    private static final Logger LOG = LoggerFactory.getLogger(Exclusion.class);

    /** Why a device is excluded. */
    record Reason(String code, String detail) {
    }

    private final CertificateValidation validation;
    private final Clock clock;

    /** @param validation may be null: then only disabled devices and expiry dates are checked */
    Exclusion(CertificateValidation validation, Clock clock) {
        this.validation = validation;
        this.clock = clock;
    }

    /**
     * @param status the device's status, null when the device is not registered (any more)
     * @return null when the device may receive the rollout
     */
    Reason check(String deviceId, String status, String certificatePem, Instant notAfter) {
        if (status == null) {
            return new Reason("device-unknown", "device " + deviceId + " is not registered");
        }
        if (!"active".equals(status)) {
            return new Reason("device-disabled", "device " + deviceId + " is disabled");
        }
        Instant now = clock.instant();
        if (notAfter != null && notAfter.isBefore(now)) {
            return new Reason("cert-expired", "the certificate of device " + deviceId + " expired at " + notAfter);
        }
        if (certificatePem == null || certificatePem.isBlank() || validation == null) {
            return null;
        }
        List<X509Certificate> chain;
        try {
            chain = Pem.certificatesFromPem(certificatePem);
        } catch (RuntimeException e) {
            return new Reason("cert-malformed", "the stored certificate of device " + deviceId + " cannot be read");
        }
        try {
            validation.validate(chain);
            return null;
        } catch (DeviceCertificateException e) {
            if (e.reason() == DeviceCertificateException.Reason.REVOCATION_UNAVAILABLE) {
                LOG.warn("Rollout exclusion of device {}: {}; not excluded, its handshake will decide", deviceId,
                        e.getMessage());
                return null;
            }
            return new Reason(e.code(), e.getMessage());
        }
    }
}
