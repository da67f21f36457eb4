package dev.progdist.protocol.envelope;

import dev.progdist.protocol.program.EnvelopeMode;
import java.util.HexFormat;

/**
 * The per-device key material of one envelope: what the key-wrapping stage makes
 * ({@link EnvelopeSealer#wrapKey}) and the program-encryption stage consumes
 * ({@link EnvelopeSealer#encrypt}).
 * <ul>
 * <li>{@code wrapped}: a fresh AES-256 content key and GCM nonce, and the CMS RecipientInfo that
 * carries the content key to the TRP key (RSAES-OAEP/SHA-256, or ephemeral-static ECDH with the
 * SHA-256 KDF and AES-256 key wrap);</li>
 * <li>{@code direct}: a KEM encapsulation to the TRP key (HPKE DHKEM(P-256), or RSA-KEM) and the
 * payload key and base nonce derived from it; no content key travels.</li>
 * <li>{@code wrapped}, of a {@link SealedRelease} ({@link SealedRelease#wrapKey}): the release's
 * content key wrapped to the TRP key in a fresh RecipientInfo, and the release's ciphertext file
 * and tag; this material holds no content key at all (the header carries only its wrapped form),
 * and {@link EnvelopeStream#ofRelease} consumes it ({@link #ofRelease()} says which it is).</li>
 * </ul>
 * {@link #header()} is the public part, the envelope's bytes before the encrypted content (it
 * names the recipient and carries the wrapped key or the encapsulation).
 *
 * <p>Security guarantee: the secret part leaves this object only into the one
 * {@link EnvelopeStream} made from it (single use: a second {@code encrypt} is refused), and
 * {@link #close()} (or that stream's close) wipes it. {@link #toString()} names the mode, the
 * recipient's certificate digest and sizes only. Not thread-safe; not serializable.
 */
public abstract sealed class DeviceKeyMaterial implements AutoCloseable
        permits DeviceKeyMaterial.WrappedContentKey, DeviceKeyMaterial.KemEncapsulation,
        DeviceKeyMaterial.ReleaseRecipient {

    private final EnvelopeMode mode;
    private final byte[] recipientDigest;
    private final long plaintextLength;
    private final byte[] header;
    private boolean used;

    private DeviceKeyMaterial(EnvelopeMode mode, byte[] recipientDigest, long plaintextLength, byte[] header) {
        this.mode = mode;
        this.recipientDigest = recipientDigest;
        this.plaintextLength = plaintextLength;
        this.header = header;
    }

    public EnvelopeMode mode() {
        return mode;
    }

    /** SHA-256 of the recipient's DER certificate. */
    public byte[] recipientCertificateDigest() {
        return recipientDigest.clone();
    }

    /** The program size this material was made for; encryption refuses a file of another size. */
    public long plaintextLength() {
        return plaintextLength;
    }

    /** The envelope's bytes before the encrypted content: public, names the recipient. */
    public byte[] header() {
        return header.clone();
    }

    /** The whole envelope's length in bytes. */
    public abstract long envelopeLength();

    /**
     * True for the material of a {@link SealedRelease}: its envelope copies the release's
     * ciphertext ({@link EnvelopeStream#ofRelease}) instead of encrypting a program file.
     */
    public boolean ofRelease() {
        return false;
    }

    byte[] headerBytes() {
        return header;
    }

    /** Marks the material used; {@code IllegalStateException} if it was used or closed before. */
    final void take() {
        if (used) {
            throw new IllegalStateException("device key material is single use: make new material per envelope");
        }
        used = true;
    }

    @Override
    public abstract void close();

    @Override
    public String toString() {
        return "DeviceKeyMaterial[" + mode.label() + ", certificate sha256:" + HexFormat.of().formatHex(recipientDigest)
                + ", " + plaintextLength + " plaintext bytes, header " + header.length + " bytes]";
    }

    /** {@code wrapped}: the content key and nonce, and the CMS header with the RecipientInfo. */
    static final class WrappedContentKey extends DeviceKeyMaterial {
        final byte[] contentKey;
        final byte[] nonce;

        WrappedContentKey(byte[] recipientDigest, long plaintextLength, byte[] header, byte[] contentKey,
                byte[] nonce) {
            super(EnvelopeMode.WRAPPED, recipientDigest, plaintextLength, header);
            this.contentKey = contentKey;
            this.nonce = nonce;
        }

        @Override
        public long envelopeLength() {
            return headerBytes().length + plaintextLength() + CmsFormat.MAC_TLV_BYTES;
        }

        @Override
        public void close() {
            markClosed();
            Envelopes.wipe(contentKey, nonce);
        }
    }

    /** {@code direct}: the payload keys derived from the encapsulation, and the prefix with it. */
    static final class KemEncapsulation extends DeviceKeyMaterial {
        final DirectFormat.PayloadKeys payload;

        KemEncapsulation(byte[] recipientDigest, long plaintextLength, byte[] header, DirectFormat.PayloadKeys payload) {
            super(EnvelopeMode.DIRECT, recipientDigest, plaintextLength, header);
            this.payload = payload;
        }

        @Override
        public long envelopeLength() {
            return DirectFormat.envelopeLength(payload.enc.length, plaintextLength(), DirectFormat.SEGMENT_SIZE);
        }

        @Override
        public void close() {
            markClosed();
            payload.close();
        }
    }

    /**
     * {@code wrapped}, of a release: the CMS header with this device's RecipientInfo (the release's
     * content key wrapped to the device key), and where the shared ciphertext and its tag are. No
     * secret: the content key itself stays in the {@link SealedRelease}.
     */
    static final class ReleaseRecipient extends DeviceKeyMaterial {
        final java.nio.file.Path ciphertextFile;
        final byte[] tag;

        ReleaseRecipient(byte[] recipientDigest, long plaintextLength, byte[] header, java.nio.file.Path ciphertextFile,
                byte[] tag) {
            super(EnvelopeMode.WRAPPED, recipientDigest, plaintextLength, header);
            this.ciphertextFile = ciphertextFile;
            this.tag = tag.clone();
        }

        @Override
        public long envelopeLength() {
            return headerBytes().length + plaintextLength() + CmsFormat.MAC_TLV_BYTES;
        }

        @Override
        public boolean ofRelease() {
            return true;
        }

        @Override
        public void close() {
            markClosed();
        }
    }

    /** After close, encrypt must refuse the material. */
    final void markClosed() {
        used = true;
    }
}
