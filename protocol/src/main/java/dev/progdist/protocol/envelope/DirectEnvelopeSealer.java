package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.program.EnvelopeMode;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;

/**
 * {@code direct} envelopes: no content key travels. A KEM encapsulation to the TRP key (HPKE
 * base mode with DHKEM(P-256, HKDF-SHA256) for EC P-256, RSA-KEM with KDF2/SHA-256 for RSA) yields
 * the payload key and base nonce; the program is STREAM-encrypted in AES-256-GCM segments (see
 * {@link DirectFormat}). The encapsulation is bound to the envelope's prefix (format, program size,
 * recipient certificate digest).
 */
public final class DirectEnvelopeSealer implements EnvelopeSealer {

    private final SecureRandom random;

    DirectEnvelopeSealer(SecureRandom random) {
        this.random = random;
    }

    @Override
    public EnvelopeMode mode() {
        return EnvelopeMode.DIRECT;
    }

    @Override
    public DeviceKeyMaterial wrapKey(X509Certificate recipient, long plaintextLength) throws EnvelopeException {
        KeyType type = Envelopes.recipientKeyType(recipient);
        byte[] digest = Envelopes.certificateDigest(recipient);
        Envelopes.checkProgramSize(plaintextLength);
        byte[] prefix = DirectFormat.prefix(DirectFormat.kemId(type), DirectFormat.SEGMENT_SIZE, plaintextLength,
                digest);
        DirectFormat.PayloadKeys payload = DirectFormat.encapsulate(type, recipient.getPublicKey(), prefix, random);
        byte[] header = ByteBuffer.allocate(prefix.length + 2 + payload.enc.length).put(prefix)
                .putShort((short) payload.enc.length).put(payload.enc).array();
        return new DeviceKeyMaterial.KemEncapsulation(digest, plaintextLength, header, payload);
    }

    @Override
    public EnvelopeStream encrypt(DeviceKeyMaterial keys, Path plaintext) throws EnvelopeException {
        if (!(keys instanceof DeviceKeyMaterial.KemEncapsulation kem)) {
            throw new IllegalArgumentException("not direct-mode key material: " + keys);
        }
        return EnvelopeStream.direct(kem, plaintext);
    }
}
