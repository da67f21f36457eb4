package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.program.EnvelopeMode;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A recipient checked once, for tools that seal whole files in one call ({@link EnvelopeStream#open},
 * {@link ProgramSealer}); the delivery stages use an {@link EnvelopeSealer} in two steps instead.
 * The certificate must already be validated by the caller (chain, validity, revocation);
 * this class only checks that its key can receive an envelope: EC P-256 or RSA 3072..8192, and,
 * if the certificate has a key usage extension, keyAgreement (EC) or keyEncipherment (RSA).
 *
 * <p>Security guarantee: every {@link EnvelopeStream#open} draws fresh secrets from the
 * {@link SecureRandom} given here (a new AES-256 content key and nonce for {@code wrapped}, a new
 * KEM encapsulation for {@code direct}), so using one instance for many deliveries never repeats
 * a key and nonce. The instance itself keeps only public data and the random source; it is not
 * {@code Serializable} and {@link #toString()} names the mode and certificate fingerprint only.
 * Instances are immutable and safe to share between threads if the {@code SecureRandom} is.
 */
public final class RecipientKeys {

    private final EnvelopeMode mode;
    private final KeyType keyType;
    private final X509Certificate recipient;
    private final byte[] certificateDigest;
    private final SecureRandom random;

    private RecipientKeys(EnvelopeMode mode, KeyType keyType, X509Certificate recipient, byte[] certificateDigest,
            SecureRandom random) {
        this.mode = mode;
        this.keyType = keyType;
        this.recipient = recipient;
        this.certificateDigest = certificateDigest;
        this.random = random;
    }

    /**
     * Prepares sealing for {@code recipient}.
     *
     * @throws EnvelopeException {@code envelope-unsupported-key} if the certificate's key cannot receive envelopes
     */
    public static RecipientKeys forRecipient(EnvelopeMode mode, X509Certificate recipient, SecureRandom random)
            throws EnvelopeException {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(random, "random");
        KeyType type = Envelopes.recipientKeyType(recipient);
        return new RecipientKeys(mode, type, recipient, Envelopes.certificateDigest(recipient), random);
    }

    public EnvelopeMode mode() {
        return mode;
    }

    X509Certificate recipient() {
        return recipient;
    }

    SecureRandom random() {
        return random;
    }

    @Override
    public String toString() {
        return "RecipientKeys[" + mode.label() + ", " + keyType.cliName() + ", certificate sha256:"
                + HexFormat.of().formatHex(certificateDigest) + "]";
    }
}
