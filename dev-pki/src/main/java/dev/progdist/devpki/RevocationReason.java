package dev.progdist.devpki;

import dev.progdist.protocol.keys.PkiException;
import java.util.Locale;
import org.bouncycastle.asn1.x509.CRLReason;

/**
 * Why a device certificate was revoked: the subset of RFC 5280 reason codes the development PKI
 * uses. {@link #UNSPECIFIED} is written without a reasonCode extension, as RFC 5280 asks.
 */
public enum RevocationReason {
    UNSPECIFIED("unspecified", CRLReason.unspecified),
    KEY_COMPROMISE("keyCompromise", CRLReason.keyCompromise),
    CESSATION_OF_OPERATION("cessationOfOperation", CRLReason.cessationOfOperation);

    private final String label;
    private final int code;

    RevocationReason(String label, int code) {
        this.label = label;
        this.code = code;
    }

    /** The RFC 5280 name, e.g. {@code keyCompromise}. */
    public String label() {
        return label;
    }

    /** The RFC 5280 CRLReason code (0, 1 or 5). */
    public int code() {
        return code;
    }

    /**
     * Parses an RFC 5280 name ({@code keyCompromise}, {@code cessationOfOperation},
     * {@code unspecified}; case-insensitive, {@code -}/{@code _} ignored, so {@code key-compromise}
     * and the enum names work too). {@code null} or blank means {@link #UNSPECIFIED}.
     */
    public static RevocationReason parse(String text) {
        if (text == null || text.isBlank()) {
            return UNSPECIFIED;
        }
        String wanted = normalise(text);
        for (RevocationReason reason : values()) {
            if (normalise(reason.label).equals(wanted)) {
                return reason;
            }
        }
        throw new PkiException("unknown revocation reason: use keyCompromise, cessationOfOperation or unspecified");
    }

    /** The reason with RFC 5280 code {@code code}. */
    public static RevocationReason ofCode(int code) {
        for (RevocationReason reason : values()) {
            if (reason.code == code) {
                return reason;
            }
        }
        throw new PkiException("unsupported revocation reason code " + code);
    }

    private static String normalise(String s) {
        return s.strip().replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return label;
    }
}
