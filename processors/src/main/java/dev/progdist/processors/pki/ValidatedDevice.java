package dev.progdist.processors.pki;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * A TRP certificate that {@link DeviceCertificateValidator} accepted: issued by the manufacturer
 * CA, currently valid, not revoked, a client-authentication key of an accepted type.
 *
 * @param deviceId    from the certificate subject ({@code CN})
 * @param fingerprint SHA-256 of the certificate, lowercase hex
 */
public record ValidatedDevice(String deviceId, String fingerprint, X509Certificate certificate, KeyType keyType) {

    public ValidatedDevice {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(keyType, "keyType");
    }
}
