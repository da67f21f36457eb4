package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.program.EnvelopeMode;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.cms.RecipientInfo;

/**
 * {@code wrapped} envelopes: CMS AuthEnvelopedData with AES-256-GCM content; the fresh content key
 * is wrapped to the TRP key (KeyTransRecipientInfo with RSAES-OAEP/SHA-256 for RSA,
 * KeyAgreeRecipientInfo with ephemeral-static ECDH, SHA-256 KDF and AES-256 key wrap for EC P-256).
 */
public final class WrappedEnvelopeSealer implements EnvelopeSealer {

    private final SecureRandom random;

    WrappedEnvelopeSealer(SecureRandom random) {
        this.random = random;
    }

    @Override
    public EnvelopeMode mode() {
        return EnvelopeMode.WRAPPED;
    }

    @Override
    public DeviceKeyMaterial wrapKey(X509Certificate recipient, long plaintextLength) throws EnvelopeException {
        KeyType type = Envelopes.recipientKeyType(recipient);
        byte[] digest = Envelopes.certificateDigest(recipient);
        Envelopes.checkProgramSize(plaintextLength);
        byte[] contentKey = Envelopes.randomBytes(random, Envelopes.KEY_BYTES);
        byte[] nonce = Envelopes.randomBytes(random, Envelopes.NONCE_BYTES);
        try {
            RecipientInfo info = CmsFormat.recipientInfo(type, recipient, contentKey, random);
            return new DeviceKeyMaterial.WrappedContentKey(digest, plaintextLength,
                    CmsFormat.header(info, nonce, plaintextLength), contentKey, nonce);
        } catch (EnvelopeException | RuntimeException e) {
            Envelopes.wipe(contentKey, nonce);
            throw e;
        }
    }

    @Override
    public EnvelopeStream encrypt(DeviceKeyMaterial keys, Path plaintext) throws EnvelopeException {
        if (keys.ofRelease()) {
            // its envelope's content is the release's ciphertext, never this plaintext
            throw new IllegalArgumentException("key material of a sealed release: use EnvelopeStream.ofRelease");
        }
        if (!(keys instanceof DeviceKeyMaterial.WrappedContentKey wrapped)) {
            throw new IllegalArgumentException("not wrapped-mode key material: " + keys);
        }
        return EnvelopeStream.wrapped(wrapped, plaintext);
    }
}
