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
 * cannot be encoded. The same hex form serves for program and envelope digests.
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

    /**
     * Lowercase hex SHA-256 over the contents of {@code file}, read through one 64 KiB buffer
     * (memory does not grow with the file).
     *
     * @throws java.io.UncheckedIOException if the file cannot be read
     */
    public static String sha256(java.nio.file.Path file) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new PkiException("SHA-256 is not available", e);
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
