package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.DeviceKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.generators.KDF2BytesGenerator;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;
import org.bouncycastle.crypto.kems.RSAKEMGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KDFParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.util.BigIntegers;

/**
 * progdist direct envelope v1: layout, key derivation and the STREAM segment rule. See
 * {@link dev.progdist.protocol.program.EnvelopeMode#DIRECT} and {@code docs/envelope.md} for the byte layout.
 *
 * <pre>
 * offset size
 *   0     4  magic "PDXE"
 *   4     1  format version 0x01
 *   5     2  KEM id, big-endian: 0x0010 DHKEM(P-256, HKDF-SHA256), 0xFF01 RSA-KEM(KDF2-SHA256)
 *   7     4  segment size, big-endian (65536)
 *  11     8  plaintext length, big-endian
 *  19    32  SHA-256 of the recipient certificate (DER)
 *  51     2  enc length, big-endian
 *  53     n  enc (KEM encapsulation: 65-byte P-256 point, or RSA modulus-sized integer)
 * then max(1, ceil(length / segment size)) segments, each AES-256-GCM(ciphertext || 16-byte tag)
 * </pre>
 */
final class DirectFormat {

    static final byte[] MAGIC = {'P', 'D', 'X', 'E'};
    static final int VERSION = 1;
    static final int KEM_P256_HKDF_SHA256 = 0x0010;
    static final int KEM_RSA_KDF2_SHA256 = 0xFF01;
    static final int SEGMENT_SIZE = 65536;
    /** Bytes before the enc length field; they are bound into the key derivation. */
    static final int PREFIX_BYTES = 51;
    static final int MIN_SEGMENT_SIZE = 4096;
    static final int MAX_SEGMENT_SIZE = 1 << 20;
    static final int P256_ENC_BYTES = 65;

    private static final byte[] LABEL = "progdist-direct-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EXPORT_KEY = "progdist payload key".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EXPORT_NONCE = "progdist payload nonce".getBytes(StandardCharsets.US_ASCII);

    private DirectFormat() {
    }

    /** The payload key, base nonce and (sender side) KEM encapsulation of one envelope. */
    static final class PayloadKeys implements AutoCloseable {
        final byte[] key;
        final byte[] baseNonce;
        final byte[] enc;

        PayloadKeys(byte[] key, byte[] baseNonce, byte[] enc) {
            this.key = key;
            this.baseNonce = baseNonce;
            this.enc = enc;
        }

        @Override
        public void close() {
            Envelopes.wipe(key, baseNonce);
        }
    }

    static int kemId(KeyType type) {
        return type == KeyType.EC_P256 ? KEM_P256_HKDF_SHA256 : KEM_RSA_KDF2_SHA256;
    }

    static byte[] prefix(int kemId, int segmentSize, long plaintextLength, byte[] certificateDigest) {
        return ByteBuffer.allocate(PREFIX_BYTES).put(MAGIC).put((byte) VERSION).putShort((short) kemId)
                .putInt(segmentSize).putLong(plaintextLength).put(certificateDigest).array();
    }

    static long segmentCount(long plaintextLength, int segmentSize) {
        // at least one segment, so that even an empty program carries a final, authenticated segment
        return Math.max(1, (plaintextLength + segmentSize - 1) / segmentSize);
    }

    static long envelopeLength(int encLength, long plaintextLength, int segmentSize) {
        return PREFIX_BYTES + 2 + encLength + plaintextLength
                + segmentCount(plaintextLength, segmentSize) * Envelopes.TAG_BYTES;
    }

    /** STREAM nonce of segment {@code index}: the base nonce XOR the index as 12 big-endian bytes. */
    static byte[] segmentNonce(byte[] baseNonce, long index) {
        byte[] nonce = baseNonce.clone();
        for (int i = 0; i < 8; i++) {
            nonce[Envelopes.NONCE_BYTES - 1 - i] ^= (byte) (index >>> (8 * i));
        }
        return nonce;
    }

    /** STREAM associated data of segment {@code index}: the index (8 bytes, big-endian) and the final flag. */
    static byte[] segmentAad(long index, boolean last) {
        return ByteBuffer.allocate(9).putLong(index).put((byte) (last ? 1 : 0)).array();
    }

    // ---- sender -------------------------------------------------------------------------

    static PayloadKeys encapsulate(KeyType type, PublicKey recipient, byte[] prefix, SecureRandom random)
            throws EnvelopeException {
        try {
            if (type == KeyType.EC_P256) {
                HPKE hpke = hpke();
                // RFC 9180 DeriveKeyPair from fresh randomness: the ephemeral key comes from the caller's SecureRandom
                byte[] ikm = Envelopes.randomBytes(random, 32);
                AsymmetricCipherKeyPair ephemeral = hpke.deriveKeyPair(ikm);
                Envelopes.wipe(ikm);
                HPKEContextWithEncapsulation ctx = hpke.setupBaseS(
                        hpke.deserializePublicKey(uncompressedPoint((ECPublicKey) recipient)), hpkeInfo(prefix),
                        ephemeral);
                return new PayloadKeys(ctx.export(EXPORT_KEY, Envelopes.KEY_BYTES),
                        ctx.export(EXPORT_NONCE, Envelopes.NONCE_BYTES), ctx.getEncapsulation());
            }
            RSAPublicKey rsa = (RSAPublicKey) recipient;
            RSAKEMGenerator kem = new RSAKEMGenerator(Envelopes.KEY_BYTES, kdf2(), random);
            SecretWithEncapsulation secret = kem.generateEncapsulated(
                    new RSAKeyParameters(false, rsa.getModulus(), rsa.getPublicExponent()));
            byte[] z = secret.getSecret();
            byte[] enc = secret.getEncapsulation();
            try {
                return rsaPayloadKeys(z, prefix, enc);
            } finally {
                Envelopes.wipe(z);
                destroyQuietly(secret);
            }
        } catch (RuntimeException e) {
            // a public key BC refuses (point not on the curve, ...)
            throw EnvelopeException.unsupportedKey();
        }
    }

    // ---- recipient ----------------------------------------------------------------------

    /**
     * Recovers the payload key and base nonce with the device key's own operation (ECDH for
     * DHKEM(P-256), the raw RSA decryption for RSA-KEM); {@code envelope-unwrap-failed} if the key
     * cannot.
     */
    static PayloadKeys decapsulate(DeviceKey key, KeyType type, byte[] prefix, byte[] enc)
            throws EnvelopeException {
        if (type == KeyType.EC_P256) {
            byte[] dh = null;
            try {
                // RFC 9180 §4.1 Decap: dh = DH(skR, pkE), kem_context = enc || pkRm
                dh = key.agree(p256Point(enc));
                byte[] kemContext = concat(enc, uncompressedPoint((ECPublicKey) key.certificate().getPublicKey()));
                byte[] sharedSecret = Hpke.extractAndExpand(dh, kemContext);
                try (Hpke.Exporter exporter = Hpke.baseExporter(sharedSecret, hpkeInfo(prefix))) {
                    return new PayloadKeys(exporter.export(EXPORT_KEY, Envelopes.KEY_BYTES),
                            exporter.export(EXPORT_NONCE, Envelopes.NONCE_BYTES), enc);
                } finally {
                    Envelopes.wipe(sharedSecret);
                }
            } catch (GeneralSecurityException | RuntimeException e) {
                // enc is not a valid point, or the key cannot agree
                throw EnvelopeException.unwrapFailed();
            } finally {
                Envelopes.wipe(dh);
            }
        }
        byte[] z = null;
        try {
            // RSA-KEM (RFC 5990): Z = I2OSP(c^d mod n, nLen), key = KDF2-SHA256(Z)
            z = key.decryptRaw(enc);
            KDF2BytesGenerator kdf = kdf2();
            kdf.init(new KDFParameters(z, null));
            byte[] secret = new byte[Envelopes.KEY_BYTES];
            kdf.generateBytes(secret, 0, secret.length);
            try {
                return rsaPayloadKeys(secret, prefix, enc);
            } finally {
                Envelopes.wipe(secret);
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw EnvelopeException.unwrapFailed();
        } finally {
            Envelopes.wipe(z);
        }
    }

    /** HPKE's DeserializePublicKey: exactly the uncompressed point, on the curve. */
    private static ECPublicKey p256Point(byte[] enc) throws GeneralSecurityException {
        if (enc.length != P256_ENC_BYTES || enc[0] != 4) {
            throw new GeneralSecurityException("not an uncompressed P-256 point");
        }
        return P256.publicKey(enc);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return ByteBuffer.allocate(a.length + b.length).put(a).put(b).array();
    }

    // ---- shared -------------------------------------------------------------------------

    private static PayloadKeys rsaPayloadKeys(byte[] kemSecret, byte[] prefix, byte[] enc) {
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        byte[] info = ByteBuffer.allocate(LABEL.length + prefix.length + enc.length).put(LABEL).put(prefix).put(enc)
                .array();
        hkdf.init(new HKDFParameters(kemSecret, null, info));
        byte[] okm = new byte[Envelopes.KEY_BYTES + Envelopes.NONCE_BYTES];
        hkdf.generateBytes(okm, 0, okm.length);
        byte[] key = java.util.Arrays.copyOfRange(okm, 0, Envelopes.KEY_BYTES);
        byte[] nonce = java.util.Arrays.copyOfRange(okm, Envelopes.KEY_BYTES, okm.length);
        Envelopes.wipe(okm);
        return new PayloadKeys(key, nonce, enc);
    }

    private static byte[] hpkeInfo(byte[] prefix) {
        return ByteBuffer.allocate(LABEL.length + prefix.length).put(LABEL).put(prefix).array();
    }

    private static HPKE hpke() {
        return new HPKE(HPKE.mode_base, HPKE.kem_P256_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);
    }

    private static KDF2BytesGenerator kdf2() {
        return new KDF2BytesGenerator(new SHA256Digest());
    }

    /** SEC 1 uncompressed encoding 0x04 || X || Y, the form HPKE's SerializePublicKey uses. */
    static byte[] uncompressedPoint(ECPublicKey key) {
        byte[] x = BigIntegers.asUnsignedByteArray(32, key.getW().getAffineX());
        byte[] y = BigIntegers.asUnsignedByteArray(32, key.getW().getAffineY());
        return ByteBuffer.allocate(P256_ENC_BYTES).put((byte) 4).put(x).put(y).array();
    }

    private static void destroyQuietly(SecretWithEncapsulation secret) {
        try {
            secret.destroy();
        } catch (javax.security.auth.DestroyFailedException ignored) {
            // best effort: the secret array was wiped above
        }
    }
}
