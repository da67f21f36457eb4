package dev.progdist.protocol.envelope;

import dev.progdist.protocol.program.EnvelopeMode;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * Seals programs for one TRP in one envelope mode, in the two steps of the delivery stages:
 * {@link #wrapKey} (key wrapping: per-device key material from the TRP certificate) and
 * {@link #encrypt} (program encryption: the envelope stream over the program file). One
 * implementation per mode: {@link WrappedEnvelopeSealer} (CMS AuthEnvelopedData, RFC 5083/5084)
 * and {@link DirectEnvelopeSealer} (HPKE RFC 9180 / RSA-KEM, see {@code docs/envelope.md}).
 *
 * <p>Security guarantee: every {@code wrapKey} draws fresh secrets from the {@link SecureRandom}
 * the sealer was made with, so no key and nonce pair is ever used twice; only the holder of the
 * private key of the certificate given to {@code wrapKey} can open the result, and any change to
 * the envelope's bytes makes opening fail. The certificate must already be validated by the caller
 * (chain, validity, revocation); the sealer checks only that its key can receive an envelope
 * (EC P-256 or RSA 3072..8192, with keyAgreement or keyEncipherment if a key usage is present).
 */
public interface EnvelopeSealer {

    EnvelopeMode mode();

    /**
     * Key wrapping: fresh key material for an envelope of a {@code plaintextLength}-byte program
     * to {@code recipient}.
     *
     * @throws EnvelopeException {@code envelope-unsupported-key} if the key cannot receive envelopes,
     *         {@code envelope-malformed} if the size is larger than the formats allow
     */
    DeviceKeyMaterial wrapKey(X509Certificate recipient, long plaintextLength) throws EnvelopeException;

    /**
     * Program encryption: the envelope of {@code plaintext}, encrypted as it is read. Takes over
     * {@code keys} (single use): the stream's close wipes them.
     *
     * @throws EnvelopeException {@code envelope-io} if the file cannot be opened or its size is not
     *         the one the key material was made for
     * @throws IllegalArgumentException if {@code keys} are for the other mode, or of a {@link SealedRelease}
     *         (those go to {@link EnvelopeStream#ofRelease})
     * @throws IllegalStateException if {@code keys} were used or closed already
     */
    EnvelopeStream encrypt(DeviceKeyMaterial keys, Path plaintext) throws EnvelopeException;

    /** The sealer of {@code mode}, drawing its secrets from {@code random}. */
    static EnvelopeSealer forMode(EnvelopeMode mode, SecureRandom random) {
        Objects.requireNonNull(random, "random");
        return switch (Objects.requireNonNull(mode, "mode")) {
            case WRAPPED -> new WrappedEnvelopeSealer(random);
            case DIRECT -> new DirectEnvelopeSealer(random);
        };
    }
}
