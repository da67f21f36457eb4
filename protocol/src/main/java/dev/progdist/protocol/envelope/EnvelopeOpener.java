package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.PkiException;
import dev.progdist.protocol.program.EnvelopeMode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.GCMParameters;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The TRP side: opens a {@code direct} or {@code wrapped} envelope with the TRP's own private key.
 * The format is recognised from the first bytes ({@code 0x30}: CMS, {@code "PDXE"}: direct).
 *
 * <p>Security guarantee: {@code plaintextOut} appears only after the whole envelope has been
 * authenticated (every direct segment tag including the final one, or the CMS GCM tag); the
 * plaintext is written to an owner-only staging file in the same directory and moved into place
 * at the end. On any failure neither the staging file nor {@code plaintextOut} exists afterwards
 * (a file that was there before is deleted too, so a stale program is never mistaken for the new
 * one). Every length read from the envelope is bounded before it is used; memory stays at a few
 * buffers of 16 KiB plus one direct segment (at most 1 MiB), whatever the program size.
 *
 * <p>Speed: direct segments are decrypted with the JDK's AES-GCM (AES-NI). A wrapped envelope is
 * one GCM message, which the JDK would buffer whole before checking its tag; it is decrypted
 * with Bouncy Castle's streaming {@code GCMBlockCipher} instead, which has no AES-NI and is
 * several times slower (figures in {@code docs/envelope.md}).
 */
public final class EnvelopeOpener {

    private EnvelopeOpener() {
    }

    /**
     * Opens an envelope file with the TRP's own key; writes the plaintext to plaintextOut (deleted on any failure).
     *
     * @param envelope the envelope file
     * @param key the TRP's private key, matching {@code own}
     * @param own the TRP's own certificate, the one the envelope must be sealed for
     * @param plaintextOut where the program goes; replaced if present
     * @throws EnvelopeException with one of the codes of {@link EnvelopeException}
     */
    public static OpenedEnvelope open(Path envelope, PrivateKey key, X509Certificate own, Path plaintextOut)
            throws EnvelopeException {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(own, "own");
        Objects.requireNonNull(plaintextOut, "plaintextOut");
        KeyType type = ownKeyType(own, key);
        Path staging = null;
        boolean done = false;
        try (EnvelopeInput in = new EnvelopeInput(envelope)) {
            if (Files.exists(plaintextOut) && Files.isSameFile(envelope, plaintextOut)) {
                throw new IllegalArgumentException("plaintextOut must not be the envelope itself");
            }
            staging = FileOutputs.stagingFor(plaintextOut);
            EnvelopeMode mode;
            ProgramSink sink;
            try (FileChannel out = FileChannel.open(staging, StandardOpenOption.WRITE)) {
                sink = new ProgramSink(out);
                if (in.size() == 0) {
                    throw EnvelopeException.malformed();
                }
                int first = in.readByte();
                if (first == Der.SEQUENCE) {
                    openWrapped(in, type, key, own, sink);
                    mode = EnvelopeMode.WRAPPED;
                } else if (first == DirectFormat.MAGIC[0]) {
                    openDirect(in, type, key, own, sink);
                    mode = EnvelopeMode.DIRECT;
                } else {
                    throw EnvelopeException.malformed();
                }
                if (in.remaining() != 0) {
                    throw EnvelopeException.authenticationFailed(); // extended
                }
                out.force(true);
            }
            String envelopeSha256 = HexFormat.of().formatHex(in.digest());
            FileOutputs.moveIntoPlace(staging, plaintextOut);
            done = true;
            return new OpenedEnvelope(mode, sink.size, HexFormat.of().formatHex(sink.digest.digest()), envelopeSha256);
        } catch (IOException e) {
            throw EnvelopeException.io(e);
        } finally {
            if (!done) {
                FileOutputs.deleteQuietly(staging);
                FileOutputs.deleteQuietly(plaintextOut);
            }
        }
    }

    private static KeyType ownKeyType(X509Certificate own, PrivateKey key) throws EnvelopeException {
        KeyType type;
        try {
            type = KeyType.of(own.getPublicKey());
        } catch (PkiException e) {
            throw EnvelopeException.unsupportedKey();
        }
        String expected = type == KeyType.EC_P256 ? "EC" : "RSA";
        if (!expected.equals(key.getAlgorithm())) {
            throw EnvelopeException.unsupportedKey();
        }
        return type;
    }

    // ---- direct -------------------------------------------------------------------------

    private static void openDirect(EnvelopeInput in, KeyType type, PrivateKey key, X509Certificate own,
            ProgramSink sink) throws EnvelopeException, IOException {
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
        if (!MessageDigest.isEqual(certificateDigest, Envelopes.certificateDigest(own))) {
            throw EnvelopeException.wrongRecipient();
        }
        if (kemId != DirectFormat.kemId(type)) {
            throw EnvelopeException.malformed(); // our certificate, but a KEM for another key type
        }
        int encLength = (in.readByte() << 8) | in.readByte();
        int expectedEncLength = type == KeyType.EC_P256 ? DirectFormat.P256_ENC_BYTES
                : (((RSAPublicKey) own.getPublicKey()).getModulus().bitLength() + 7) / 8;
        if (encLength != expectedEncLength) {
            throw EnvelopeException.malformed();
        }
        byte[] enc = in.readBytes(encLength);
        if (in.size() != DirectFormat.envelopeLength(encLength, length, segmentSize)) {
            // truncated or extended: refuse before doing any private-key work
            throw EnvelopeException.authenticationFailed();
        }
        try (DirectFormat.PayloadKeys keys = DirectFormat.decapsulate(type, key, own.getPublicKey(), prefix, enc)) {
            decryptSegments(in, keys, length, segmentSize, sink);
        }
    }

    private static void decryptSegments(EnvelopeInput in, DirectFormat.PayloadKeys keys, long length,
            int segmentSize, ProgramSink sink) throws EnvelopeException, IOException {
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

    // ---- wrapped ------------------------------------------------------------------------

    private static final byte[] AUTH_ENVELOPED_DATA = CmsFormat.encode(CMSObjectIdentifiers.authEnvelopedData);
    private static final byte[] DATA = CmsFormat.encode(CMSObjectIdentifiers.data);
    private static final byte[] VERSION_0 = {Der.INTEGER, 1, 0};

    private static void openWrapped(EnvelopeInput in, KeyType type, PrivateKey key, X509Certificate own,
            ProgramSink sink) throws EnvelopeException, IOException {
        if (Der.readLength(in) != in.remaining()) {
            throw EnvelopeException.authenticationFailed(); // truncated or extended
        }
        if (!Arrays.equals(Der.readSmall(in, Der.OBJECT_IDENTIFIER, 16), AUTH_ENVELOPED_DATA)
                || Der.expect(in, Der.CONTEXT_0_CONSTRUCTED) != in.remaining()
                || Der.expect(in, Der.SEQUENCE) != in.remaining()
                || !Arrays.equals(in.readBytes(VERSION_0.length), VERSION_0)) {
            throw EnvelopeException.malformed();
        }
        // originatorInfo [0] is not used by progdist; only recipientInfos may follow the version
        byte[] recipientInfos = Der.readSmall(in, Der.SET, CmsFormat.MAX_RECIPIENT_INFOS_BYTES);
        long eciEnd = Der.expect(in, Der.SEQUENCE);
        eciEnd += in.position();
        if (!Arrays.equals(Der.readSmall(in, Der.OBJECT_IDENTIFIER, 16), DATA)) {
            throw EnvelopeException.malformed();
        }
        byte[] algorithmTlv = Der.readSmall(in, Der.SEQUENCE, CmsFormat.MAX_SMALL_ELEMENT_BYTES);
        byte[] nonce = gcmNonce(algorithmTlv);
        long contentLength = Der.expect(in, Der.CONTEXT_0_PRIMITIVE);
        // after the content only the 18-byte mac; no authAttrs (they would change the GCM input), no unauthAttrs
        if (contentLength > Envelopes.MAX_PROGRAM_BYTES || in.position() + contentLength != eciEnd
                || eciEnd + CmsFormat.MAC_TLV_BYTES != in.size()) {
            throw EnvelopeException.malformed();
        }
        byte[] contentKey = CmsFormat.unwrapContentKey(recipientInfos, type, key, own,
                AlgorithmIdentifier.getInstance(algorithmTlv));
        try {
            GCMModeCipher gcm = GCMBlockCipher.newInstance(AESEngine.newInstance());
            gcm.init(false, new AEADParameters(new KeyParameter(contentKey), Envelopes.TAG_BITS, nonce));
            byte[] chunk = new byte[Envelopes.CHUNK];
            byte[] out = new byte[Envelopes.CHUNK + 2 * Envelopes.TAG_BYTES];
            long remaining = contentLength;
            while (remaining > 0) {
                int n = in.readSome(chunk, 0, (int) Math.min(Envelopes.CHUNK, remaining));
                remaining -= n;
                sink.write(out, gcm.processBytes(chunk, 0, n, out, 0));
            }
            if (Der.expect(in, Der.OCTET_STRING) != Envelopes.TAG_BYTES) {
                throw EnvelopeException.malformed();
            }
            byte[] tag = in.readBytes(Envelopes.TAG_BYTES);
            // Bouncy Castle expects the tag after the ciphertext, as in the JDK's GCM
            sink.write(out, gcm.processBytes(tag, 0, tag.length, out, 0));
            sink.write(out, gcm.doFinal(out, 0));
        } catch (InvalidCipherTextException e) {
            throw EnvelopeException.authenticationFailed();
        } catch (RuntimeException e) {
            throw EnvelopeException.authenticationFailed();
        } finally {
            Envelopes.wipe(contentKey);
        }
    }

    /** The nonce of an exactly-DER {aes256-GCM, {nonce(12), 16}} algorithm identifier. */
    private static byte[] gcmNonce(byte[] algorithmTlv) throws EnvelopeException {
        try {
            AlgorithmIdentifier algorithm = AlgorithmIdentifier.getInstance(ASN1Primitive.fromByteArray(algorithmTlv));
            GCMParameters parameters = GCMParameters.getInstance(algorithm.getParameters());
            byte[] nonce = parameters.getNonce();
            if (!NISTObjectIdentifiers.id_aes256_GCM.equals(algorithm.getAlgorithm())
                    || nonce.length != Envelopes.NONCE_BYTES || parameters.getIcvLen() != Envelopes.TAG_BYTES
                    || !Arrays.equals(CmsFormat.encode(algorithm), algorithmTlv)) {
                throw EnvelopeException.malformed();
            }
            return nonce;
        } catch (IOException | RuntimeException e) {
            throw EnvelopeException.malformed();
        }
    }

    /** Writes plaintext to the staging file and hashes it on the way. */
    private static final class ProgramSink {
        final FileChannel out;
        final MessageDigest digest = Envelopes.sha256();
        long size;

        ProgramSink(FileChannel out) {
            this.out = out;
        }

        void write(byte[] bytes, int length) throws IOException {
            if (length <= 0) {
                return;
            }
            digest.update(bytes, 0, length);
            size += length;
            ByteBuffer source = ByteBuffer.wrap(bytes, 0, length);
            while (source.hasRemaining()) {
                out.write(source);
            }
        }
    }

}
