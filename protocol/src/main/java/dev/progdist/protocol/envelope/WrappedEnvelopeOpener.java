package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.DeviceKey;
import dev.progdist.protocol.program.EnvelopeMode;
import java.io.IOException;
import java.util.Arrays;
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
 * Opens {@code wrapped} envelopes ({@link CmsFormat}): exactly the DER progdist's sealer writes,
 * the content key recovered with the device key (RSA-OAEP decryption, or ECDH with the X9.63 KDF
 * and AES key unwrap), then one streamed AES-256-GCM message whose tag is checked before the
 * plaintext is moved into place. The guarantee is {@link EnvelopeOpener}'s.
 */
public final class WrappedEnvelopeOpener extends EnvelopeOpening.Body {

    static final WrappedEnvelopeOpener INSTANCE = new WrappedEnvelopeOpener();

    private static final byte[] AUTH_ENVELOPED_DATA = CmsFormat.encode(CMSObjectIdentifiers.authEnvelopedData);
    private static final byte[] DATA = CmsFormat.encode(CMSObjectIdentifiers.data);
    private static final byte[] VERSION_0 = {Der.INTEGER, 1, 0};

    private WrappedEnvelopeOpener() {
    }

    @Override
    public EnvelopeMode mode() {
        return EnvelopeMode.WRAPPED;
    }

    @Override
    boolean starts(int first) {
        return first == Der.SEQUENCE;
    }

    @Override
    void read(EnvelopeInput in, KeyType type, DeviceKey key, EnvelopeOpening.Sink sink)
            throws EnvelopeException, IOException {
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
        byte[] contentKey = CmsFormat.unwrapContentKey(recipientInfos, type, key,
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
}
