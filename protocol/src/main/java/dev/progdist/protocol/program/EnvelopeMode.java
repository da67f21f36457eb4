package dev.progdist.protocol.program;

import java.util.Locale;

/**
 * How a program is encrypted for one TRP.
 * <ul>
 *   <li>{@link #DIRECT}: no content key travels; the program is encrypted under a key derived from
 *       the TRP public key alone (HPKE for EC P-256 keys, RSA-KEM for RSA keys).</li>
 *   <li>{@link #WRAPPED}: CMS AuthEnvelopedData; a random AES-256 content key encrypts the program
 *       and travels wrapped to the TRP public key (RSA-OAEP or ECDH + AES key wrap).</li>
 * </ul>
 */
public enum EnvelopeMode {
    DIRECT, WRAPPED;

    /** Lower-case wire and database name: {@code direct} or {@code wrapped}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The mode named by {@code label} (case-insensitive).
     *
     * @throws IllegalArgumentException with a message naming the allowed values
     */
    public static EnvelopeMode parse(String label) {
        if (label != null) {
            for (EnvelopeMode m : values()) {
                if (m.label().equalsIgnoreCase(label.strip())) {
                    return m;
                }
            }
        }
        throw new IllegalArgumentException("mode must be 'direct' or 'wrapped'");
    }
}
