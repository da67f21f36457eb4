package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.DeviceKey;
import dev.progdist.protocol.program.EnvelopeMode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opens {@code direct} envelopes ({@link DirectFormat}): the KEM decapsulation with the device key
 * (DHKEM(P-256) through its ECDH, RSA-KEM through its raw decryption), then the STREAM segments,
 * each authenticated before a byte of it is written. The guarantee is {@link EnvelopeOpener}'s.
 */
public final class DirectEnvelopeOpener extends EnvelopeOpening.Body {

    static final DirectEnvelopeOpener INSTANCE = new DirectEnvelopeOpener();

    private DirectEnvelopeOpener() {
    }

    @Override
    public EnvelopeMode mode() {
        return EnvelopeMode.DIRECT;
    }

    @Override
    boolean starts(int first) {
        return first == DirectFormat.MAGIC[0];
    }

    @Override
    void read(EnvelopeInput in, KeyType type, DeviceKey key, EnvelopeOpening.Sink sink)
            throws EnvelopeException, IOException {
        byte[] prefix = new byte[DirectFormat.PREFIX_BYTES];
        prefix[0] = DirectFormat.MAGIC[0];
        in.readFully(prefix, 1, prefix.length - 1);
        ByteBuffer header = ByteBuffer.wrap(prefix);
        if (!Arrays.equals(prefix, 0, 4, DirectFormat.MAGIC, 0, 4) || header.get(4) != DirectFormat.VERSION) {
            throw EnvelopeException.malformed();
        }
        int kemId = header.getShort(5) & 0xffff;
        int segmentSize = header.getInt(7);
        long length = header.getLong(11);
        byte[] certificateDigest = Arrays.copyOfRange(prefix, 19, 51);
        if ((kemId != DirectFormat.KEM_P256_HKDF_SHA256 && kemId != DirectFormat.KEM_RSA_KDF2_SHA256)
                || segmentSize < DirectFormat.MIN_SEGMENT_SIZE || segmentSize > DirectFormat.MAX_SEGMENT_SIZE
                || length < 0 || length > Envelopes.MAX_PROGRAM_BYTES) {
            throw EnvelopeException.malformed();
        }
        if (!MessageDigest.isEqual(certificateDigest, Envelopes.certificateDigest(key.certificate()))) {
            throw EnvelopeException.wrongRecipient();
        }
        if (kemId != DirectFormat.kemId(type)) {
            throw EnvelopeException.malformed(); // our certificate, but a KEM for another key type
        }
        int encLength = (in.readByte() << 8) | in.readByte();
        int expectedEncLength = type == KeyType.EC_P256 ? DirectFormat.P256_ENC_BYTES
                : (((RSAPublicKey) key.certificate().getPublicKey()).getModulus().bitLength() + 7) / 8;
        if (encLength != expectedEncLength) {
            throw EnvelopeException.malformed();
        }
        byte[] enc = in.readBytes(encLength);
        if (in.size() != DirectFormat.envelopeLength(encLength, length, segmentSize)) {
            // truncated or extended: refuse before doing any private-key work
            throw EnvelopeException.authenticationFailed();
        }
        try (DirectFormat.PayloadKeys keys = DirectFormat.decapsulate(key, type, prefix, enc)) {
            decryptSegments(in, keys, length, segmentSize, sink);
        }
    }

    private static void decryptSegments(EnvelopeInput in, DirectFormat.PayloadKeys keys, long length,
            int segmentSize, EnvelopeOpening.Sink sink) throws EnvelopeException, IOException {
        SecretKeySpec aesKey = new SecretKeySpec(keys.key, "AES");
        Cipher cipher = Envelopes.jdkAesGcm();
        long segments = DirectFormat.segmentCount(length, segmentSize);
        // one segment (at most 1 MiB + tag) is the unit of authentication: the JDK holds it whole
        // before checking the tag anyway, and one doFinal over an array is its fastest path
        byte[] sealed = new byte[segmentSize + Envelopes.TAG_BYTES];
        byte[] plain = new byte[segmentSize + Envelopes.TAG_BYTES];
        for (long i = 0; i < segments; i++) {
            int plainLength = (int) Math.min(segmentSize, length - i * segmentSize);
            int sealedLength = plainLength + Envelopes.TAG_BYTES;
            in.readFully(sealed, 0, sealedLength);
            int produced;
            try {
                cipher.init(Cipher.DECRYPT_MODE, aesKey,
                        new GCMParameterSpec(Envelopes.TAG_BITS, DirectFormat.segmentNonce(keys.baseNonce, i)));
                cipher.updateAAD(DirectFormat.segmentAad(i, i == segments - 1));
                produced = cipher.doFinal(sealed, 0, sealedLength, plain, 0);
            } catch (AEADBadTagException e) {
                throw EnvelopeException.authenticationFailed();
            } catch (GeneralSecurityException e) {
                throw EnvelopeException.authenticationFailed();
            }
            if (produced != plainLength) {
                throw EnvelopeException.authenticationFailed();
            }
            sink.write(plain, produced);
        }
    }
}
