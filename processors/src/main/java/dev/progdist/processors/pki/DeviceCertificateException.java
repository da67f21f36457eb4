package dev.progdist.processors.pki;

import dev.progdist.protocol.channel.ChannelCode;
import java.security.cert.CertificateException;
import java.util.Objects;
import java.util.Optional;

/**
 * A TRP certificate chain was refused. A {@link CertificateException}, so that it can leave
 * {@code X509TrustManager.checkClientTrusted} and end the TLS handshake.
 *
 * <p>{@link #reason()} is stable and meant for logs, metrics and tests; the message is for
 * people. Neither ever contains a secret or text taken from the refused certificate: the
 * certificate is identified only by its {@link #fingerprint()} (public, SHA-256 hex).
 */
public final class DeviceCertificateException extends CertificateException {

    private static final long serialVersionUID = 1L;

    /** Why a device certificate was refused; {@link #code()} is the stable identifier. */
    public enum Reason {
        /** No path to the manufacturer CA: unknown or wrong CA, self-signed, bad signature. */
        CERT_UNTRUSTED(ChannelCode.CERT_UNTRUSTED),
        /** The certificate's notAfter has passed. */
        CERT_EXPIRED(ChannelCode.CERT_EXPIRED),
        /** The certificate's notBefore is still to come. */
        CERT_NOT_YET_VALID(ChannelCode.CERT_NOT_YET_VALID),
        /** The manufacturer CA's CRL lists the certificate. */
        CERT_REVOKED(ChannelCode.CERT_REVOKED),
        /** Not a TLS client key: no digitalSignature, no clientAuth EKU, or a CA certificate. */
        CERT_KEY_USAGE(ChannelCode.CERT_KEY_USAGE),
        /** Not the device profile: subject, device ID or key type (EC P-256, RSA 3072+). */
        CERT_PROFILE(ChannelCode.CERT_PROFILE),
        /** The CRL is missing, unreadable, not the manufacturer CA's, or stale: fail closed. */
        REVOCATION_UNAVAILABLE(ChannelCode.REVOCATION_UNAVAILABLE),
        /** No chain, an empty chain, or a certificate that cannot be processed. */
        CERT_MALFORMED(ChannelCode.CERT_MALFORMED);

        private final ChannelCode channelCode;

        Reason(ChannelCode channelCode) {
            this.channelCode = channelCode;
        }

        /** E.g. {@code cert-revoked}: the label of {@link #channelCode()}. */
        public String code() {
            return channelCode.label();
        }

        /** The channel code the refusal is recorded and sent as. */
        public ChannelCode channelCode() {
            return channelCode;
        }

        @Override
        public String toString() {
            return code();
        }
    }

    private final Reason reason;
    private final String fingerprint;

    public DeviceCertificateException(Reason reason, String message, String fingerprint, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.fingerprint = fingerprint;
    }

    public DeviceCertificateException(Reason reason, String message) {
        this(reason, message, null, null);
    }

    public Reason reason() {
        return reason;
    }

    /** {@link #reason()}'s stable code. */
    public String code() {
        return reason.code();
    }

    /** SHA-256 fingerprint of the refused leaf certificate, when there was one to fingerprint. */
    public Optional<String> fingerprint() {
        return Optional.ofNullable(fingerprint);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + " [" + reason.code() + "]: " + getMessage();
    }
}
