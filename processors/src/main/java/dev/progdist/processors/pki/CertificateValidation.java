package dev.progdist.processors.pki;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The certificate-validation stage of the second path: the TRP's chain (leaf first) must be a
 * device certificate of the manufacturer CA, within its validity, not revoked, with the device
 * profile (see {@link DeviceCertificateValidator}). It runs inside the TLS handshake, from the
 * server's trust manager, so that a refused certificate ends the handshake with an alert before the
 * TRP's Finished is accepted, and no application message is ever read from a TRP that failed it.
 * In the server it is the route {@code certificate-validation}
 * ({@code camel/second-path/2-certificate-validation.camel.yaml}). Sealed: not replaceable.
 */
@FunctionalInterface
public interface CertificateValidation {

    /** @throws DeviceCertificateException with the stable {@code cert-*} or {@code revocation-unavailable} code */
    ValidatedDevice validate(List<X509Certificate> chain) throws DeviceCertificateException;
}
