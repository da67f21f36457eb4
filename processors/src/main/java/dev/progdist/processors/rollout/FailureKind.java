package dev.progdist.processors.rollout;

import java.util.Set;

/**
 * What a failed delivery's code means for its rollout: the one place that decides. Security
 * failures count toward the security threshold (never the error threshold) and are not retried;
 * ordinary errors count toward the error threshold after the retries; a cancellation is the
 * rollout's own stop and counts toward neither.
 *
 * <p>Codes of the TRP arrive as {@code trp-} followed by the TRP's
 * {@link dev.progdist.protocol.channel.ChannelCode} label.
 */
public enum FailureKind {
    /** Certificate refused, device revoked or disabled mid-delivery, forged or replayed receipt, tampered envelope. */
    SECURITY,
    /** Anything else: the device's storage, a timeout, the server's own trouble. */
    ERROR,
    /** The rollout was stopped while the delivery ran. */
    CANCELLED;

    private static final Set<String> SECURITY_CODES = Set.of(
            "device-disabled", "device-unknown", "device-not-owned",
            "receipt-invalid", "publisher-signature-invalid", "hello-mismatch",
            "trp-publisher-signature-invalid", "trp-publisher-certificate-invalid",
            "trp-envelope-digest-mismatch", "trp-program-digest-mismatch");

    /**
     * @param code a delivery's reason code ({@code null} counts as an ordinary error)
     */
    public static FailureKind of(String code) {
        if (code == null) {
            return ERROR;
        }
        if (code.equals("rollout-stopped")) {
            return CANCELLED;
        }
        if (SECURITY_CODES.contains(code) || code.startsWith("cert-")) {
            return SECURITY;
        }
        // the TRP could not open or authenticate the envelope; envelope-io is its own disk, not an attack
        if (code.startsWith("trp-envelope-") && !code.equals("trp-envelope-io")) {
            return SECURITY;
        }
        // revocation-unavailable is the server's own trouble (no fresh CRL): an ordinary failure
        return ERROR;
    }
}
