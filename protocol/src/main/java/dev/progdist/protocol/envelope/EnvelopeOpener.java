package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.DeviceKey;
import dev.progdist.protocol.keys.PkiException;
import dev.progdist.protocol.program.EnvelopeMode;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * The TRP side of one envelope mode: opens an envelope sealed for a {@link DeviceKey}.
 * {@link DirectEnvelopeOpener} reads {@code direct} envelopes (HPKE / RSA-KEM, magic {@code "PDXE"}),
 * {@link WrappedEnvelopeOpener} reads {@code wrapped} ones (CMS AuthEnvelopedData, a DER
 * {@code SEQUENCE}, {@code 0x30}). {@link #open(Path, DeviceKey, Path)} reads the first byte once and
 * hands the rest of the file to the opener of that mode.
 *
 * <p>Security guarantee: {@code plaintextOut} appears only after the whole envelope has been
 * authenticated (every direct segment tag including the final one, or the CMS GCM tag); the
 * plaintext is written to an owner-only staging file in the same directory and moved into place
 * at the end. On any failure neither the staging file nor {@code plaintextOut} exists afterwards
 * (a file that was there before is deleted too, so a stale program is never mistaken for the new
 * one). Every length read from the envelope is bounded before it is used; memory stays at a few
 * buffers of 16 KiB plus one direct segment (at most 1 MiB), whatever the program size. The device
 * key is used only through its operations (ECDH, RSA decryption), never read. Every failure is an
 * {@link EnvelopeException} with one of its stable codes.
 *
 * <p>Speed: direct segments are decrypted with the JDK's AES-GCM (AES-NI). A wrapped envelope is
 * one GCM message, which the JDK would buffer whole before checking its tag; it is decrypted
 * with Bouncy Castle's streaming {@code GCMBlockCipher} instead, which has no AES-NI and is
 * several times slower (figures in {@code docs/envelope.md}).
 */
public interface EnvelopeOpener {

    /** The one mode this opener reads. */
    EnvelopeMode mode();

    /**
     * Opens an envelope of {@link #mode()} sealed for {@code key}; writes the program to
     * {@code plaintextOut} (replaced if present, deleted on any failure). An envelope of the
     * other mode is {@code envelope-malformed}.
     *
     * @throws EnvelopeException with one of the codes of {@link EnvelopeException}
     */
    OpenedEnvelope decrypt(Path envelope, DeviceKey key, Path plaintextOut) throws EnvelopeException;

    /** The opener of {@code mode}. */
    static EnvelopeOpener forMode(EnvelopeMode mode) {
        return switch (Objects.requireNonNull(mode, "mode")) {
            case DIRECT -> DirectEnvelopeOpener.INSTANCE;
            case WRAPPED -> WrappedEnvelopeOpener.INSTANCE;
        };
    }

    /**
     * Opens an envelope of either mode sealed for {@code key}, the mode recognised from its first
     * byte; writes the program to {@code plaintextOut} (replaced if present, deleted on any failure).
     *
     * @throws EnvelopeException with one of the codes of {@link EnvelopeException}
     */
    static OpenedEnvelope open(Path envelope, DeviceKey key, Path plaintextOut) throws EnvelopeException {
        return EnvelopeOpening.open(envelope, key, plaintextOut, null);
    }

    /**
     * {@link #open(Path, DeviceKey, Path)} with a key held in memory.
     *
     * @param key the TRP's private key, matching {@code own}
     * @param own the TRP's own certificate, the one the envelope must be sealed for
     * @throws EnvelopeException {@code envelope-unsupported-key} if the key is not of the
     *         certificate's type, or another code of {@link EnvelopeException}
     */
    static OpenedEnvelope open(Path envelope, PrivateKey key, X509Certificate own, Path plaintextOut)
            throws EnvelopeException {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(own, "own");
        Objects.requireNonNull(plaintextOut, "plaintextOut");
        KeyType type;
        try {
            type = KeyType.of(own.getPublicKey());
        } catch (PkiException e) {
            throw EnvelopeException.unsupportedKey();
        }
        if (!(type == KeyType.EC_P256 ? "EC" : "RSA").equals(key.getAlgorithm())) {
            throw EnvelopeException.unsupportedKey();
        }
        return open(envelope, DeviceKey.inMemory(key, List.of(own)), plaintextOut);
    }
}
