package dev.progdist.protocol.keys;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.util.Base64;

/**
 * The one place where progdist chooses a signature algorithm: every signature it makes or checks
 * (install receipts, the publisher's program statements, the CSRs, certificates and CRLs of the
 * development CA) takes its JCA algorithm name from here, by the key.
 *
 * <table>
 *   <caption>algorithm by key</caption>
 *   <tr><th>key</th><th>algorithm</th><th>signature encoding</th></tr>
 *   <tr><td>EC on P-256 (secp256r1)</td><td>{@value #ECDSA_P256_SHA256}</td><td>DER {@code SEQUENCE {r, s}}, at most 72 bytes</td></tr>
 *   <tr><td>RSA</td><td>{@value #RSA_PKCS1_SHA256} (PKCS#1 v1.5)</td><td>as many bytes as the modulus</td></tr>
 * </table>
 * Anything else is refused with {@link IllegalArgumentException}: a key of another type or curve is
 * a configuration error (the certificate profile never certifies one), not a bad signature. The
 * key size is the certificate profile's rule ({@link CertificateProfile.KeyType}), not this class's.
 *
 * <p>On the wire a signature travels base64-encoded ({@link #decodeBase64}).
 */
public final class Signatures {

    /** JCA name for EC P-256 keys: ECDSA over SHA-256, DER-encoded. */
    public static final String ECDSA_P256_SHA256 = "SHA256withECDSA";
    /** JCA name for RSA keys: RSASSA-PKCS1-v1_5 over SHA-256. */
    public static final String RSA_PKCS1_SHA256 = "SHA256withRSA";
    /** No accepted signature is longer: an RSA-8192 signature (the largest key the profile allows). */
    public static final int MAX_SIGNATURE_BYTES = 1024;

    private static final int P256_FIELD_BITS = 256;
    private static final java.math.BigInteger P256_ORDER = new java.math.BigInteger(
            "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16);

    private Signatures() {
    }

    /**
     * The signature algorithm for {@code key}: {@value #ECDSA_P256_SHA256} for EC P-256,
     * {@value #RSA_PKCS1_SHA256} for RSA.
     *
     * @throws IllegalArgumentException for any other key (another curve, DSA, EdDSA, null)
     */
    public static String algorithmFor(PublicKey key) {
        if (key instanceof ECPublicKey ec && isP256(ec.getParams())) {
            return ECDSA_P256_SHA256;
        }
        if (key instanceof RSAPublicKey) {
            return RSA_PKCS1_SHA256;
        }
        throw new IllegalArgumentException("signatures are made with EC P-256 or RSA keys only");
    }

    /**
     * The signature algorithm for a private key: the same rule as {@link #algorithmFor(PublicKey)},
     * by the key's algorithm name. A key held by a token (a PKCS#11 handle) need not expose its
     * parameters, so the curve is checked only for an EC key that shows it.
     *
     * @throws IllegalArgumentException for a key that is neither EC nor RSA
     */
    public static String algorithmFor(PrivateKey key) {
        if (key != null) {
            switch (key.getAlgorithm()) {
                case "EC", "ECDSA" -> {
                    if (!(key instanceof ECKey ec) || isP256(ec.getParams())) {
                        return ECDSA_P256_SHA256;
                    }
                }
                case "RSA" -> {
                    return RSA_PKCS1_SHA256;
                }
                default -> {
                    // refused below
                }
            }
        }
        throw new IllegalArgumentException("signatures are made with EC P-256 or RSA keys only");
    }

    /**
     * Signs {@code message} with {@code key} ({@link #algorithmFor(PrivateKey)}).
     *
     * @throws GeneralSecurityException if the key cannot sign
     * @throws IllegalArgumentException for a key that is neither EC P-256 nor RSA
     */
    public static byte[] sign(PrivateKey key, byte[] message) throws GeneralSecurityException {
        Signature signer = Signature.getInstance(algorithmFor(key));
        signer.initSign(key);
        signer.update(message);
        return signer.sign();
    }

    /**
     * Checks that {@code signature} is a signature of {@code message} by {@code key}, with the
     * algorithm of {@link #algorithmFor(PublicKey)}. Fails closed: an empty, oversized, truncated,
     * malformed or forged signature, a null argument or a key of another type all throw the same
     * {@link InvalidSignatureException}.
     */
    public static void verify(PublicKey key, byte[] message, byte[] signature) throws InvalidSignatureException {
        if (key == null || message == null || signature == null || signature.length == 0
                || signature.length > MAX_SIGNATURE_BYTES) {
            throw new InvalidSignatureException();
        }
        boolean valid;
        try {
            String algorithm = algorithmFor(key);
            if (key instanceof RSAKey rsa && signature.length != (rsa.getModulus().bitLength() + 7) / 8) {
                throw new InvalidSignatureException(); // PKCS#1: exactly the modulus length
            }
            // ECDSA is verified with Bouncy Castle, not SunEC: JDK 17's SunEC refuses valid P-256
            // signatures with a short r (Wycheproof tcId 350, 479) and accepts an s whose DER misses
            // its leading zero (tcId 6)
            Signature verifier = algorithm.equals(ECDSA_P256_SHA256)
                    ? Signature.getInstance(algorithm, BouncyCastle.provider()) : Signature.getInstance(algorithm);
            verifier.initVerify(key);
            verifier.update(message);
            valid = verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            // SignatureException for malformed DER, InvalidKeyException, IllegalArgumentException for
            // a key of another type, ProviderException from odd encodings: all the same to the caller
            throw new InvalidSignatureException();
        }
        if (!valid) {
            throw new InvalidSignatureException();
        }
    }

    /**
     * Decodes a signature as it travels: standard base64 (RFC 4648 §4) with its padding, no line
     * breaks, nothing skipped. Malformed base64 is an invalid signature, not a different failure.
     */
    public static byte[] decodeBase64(String signatureBase64) throws InvalidSignatureException {
        // 4 characters per 3 bytes: anything longer than the largest signature is refused undecoded
        if (signatureBase64 == null || signatureBase64.isEmpty() || signatureBase64.length() % 4 != 0
                || signatureBase64.length() > (MAX_SIGNATURE_BYTES + 2) / 3 * 4) {
            throw new InvalidSignatureException();
        }
        try {
            return Base64.getDecoder().decode(signatureBase64);
        } catch (IllegalArgumentException e) {
            throw new InvalidSignatureException();
        }
    }

    private static boolean isP256(ECParameterSpec params) {
        return params != null && params.getCurve().getField().getFieldSize() == P256_FIELD_BITS
                && P256_ORDER.equals(params.getOrder()) && params.getCofactor() == 1;
    }
}
