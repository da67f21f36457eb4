package dev.progdist.protocol.keys;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * Certificate fingerprints as shown to operators and stored by the server: lowercase hex of the
 * SHA-256 digest of the certificate's DER encoding (the same value {@code openssl x509
 * -fingerprint -sha256} prints, without colons). Throws {@link PkiException} if the certificate
 * cannot be encoded.
 */
public final class Fingerprints {

    private Fingerprints() {
    }

    /** Lowercase hex SHA-256 over the DER encoding of {@code certificate} (64 characters). */
    public static String sha256(X509Certificate certificate) {
        if (certificate == null) {
            throw new PkiException("no certificate to fingerprint");
        }
        try {
            return sha256(certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new PkiException("cannot encode certificate " + certificate.getSubjectX500Principal(), e);
        }
    }

    /** Lowercase hex SHA-256 over {@code data}. */
    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            // every Java platform must provide SHA-256
            throw new PkiException("SHA-256 is not available", e);
        }
    }
}
