package dev.progdist.protocol.keys;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;

/** Where a signature algorithm is chosen: from the key. */
public final class Signatures {

    private Signatures() {
    }

    public static String algorithmFor(PublicKey key) {
        if (key instanceof ECPublicKey) {
            return "SHA256withECDSA";
        }
        if (key instanceof RSAPublicKey) {
            return "SHA256withRSA";
        }
        throw new IllegalArgumentException("no signature algorithm for a " + key.getAlgorithm() + " key");
    }

    public static byte[] decodeBase64(String signature) throws InvalidSignatureException {
        try {
            return Base64.getDecoder().decode(signature);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new InvalidSignatureException();
        }
    }

    static void verify(PublicKey key, byte[] message, byte[] signature) throws InvalidSignatureException {
        try {
            Signature s = Signature.getInstance(algorithmFor(key));
            s.initVerify(key);
            s.update(message);
            if (!s.verify(signature)) {
                throw new InvalidSignatureException();
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new InvalidSignatureException();
        }
    }

    /** For the verifiers of other packages. */
    public static void verifyWith(PublicKey key, byte[] message, byte[] signature) throws InvalidSignatureException {
        verify(key, message, signature);
    }
}
