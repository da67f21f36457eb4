package dev.progdist.protocol.program;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * What a publisher signs when it publishes a program: its ID, its version, the SHA-256 of its
 * bytes and their length. Signing the statement rather than the raw bytes binds the bytes to
 * their name and version, so a validly signed {@code 1.0} cannot be passed off as {@code 2.0}.
 *
 * <p>The signed bytes ({@link #signedBytes()}) are UTF-8 text, one field per line, each line
 * ending in {@code \n}, no trailing space:
 * <pre>
 * progdist-program-statement-v1
 * program-id:&lt;programId&gt;
 * version:&lt;version&gt;
 * sha256:&lt;64 lower-case hex digits&gt;
 * size:&lt;decimal byte count, no leading zeros&gt;
 * </pre>
 * The publisher key is EC P-256; the signature is ECDSA with SHA-256 ({@value #SIGNATURE_ALGORITHM}),
 * DER-encoded, and travels base64-encoded.
 */
public record ProgramStatement(String programId, String version, String sha256, long size) {

    public static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    /**
     * @throws IllegalArgumentException if a field breaks its rule (the message names the field)
     */
    public ProgramStatement {
        if (!ProgramVersions.isProgramId(programId)) {
            throw new IllegalArgumentException("program ID must match " + ProgramVersions.PROGRAM_ID_PATTERN);
        }
        if (!ProgramVersions.isVersion(version)) {
            throw new IllegalArgumentException("version must match " + ProgramVersions.VERSION_PATTERN);
        }
        if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits");
        }
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative");
        }
    }

    /**
     * The statement of the program in {@code file}: its SHA-256 and size, read once.
     *
     * @throws java.io.UncheckedIOException if the file cannot be read
     */
    public static ProgramStatement of(String programId, String version, java.nio.file.Path file) {
        try {
            return new ProgramStatement(programId, version, dev.progdist.protocol.keys.Fingerprints.sha256(file),
                    java.nio.file.Files.size(file));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file, e);
        }
    }

    public static boolean isSha256Hex(String s) {
        return s != null && SHA256_HEX.matcher(s).matches();
    }

    /**
     * Whether {@code signatureBase64} is a valid {@value #SIGNATURE_ALGORITHM} signature of this
     * statement by {@code publisherKey}. Fails closed: malformed base64 or DER, a wrong key type,
     * or an oversized signature is simply {@code false}.
     */
    public boolean isSignedBy(java.security.PublicKey publisherKey, String signatureBase64) {
        try {
            byte[] signature = java.util.Base64.getDecoder().decode(signatureBase64);
            if (signature.length > 512) {
                return false;
            }
            java.security.Signature verifier = java.security.Signature.getInstance(SIGNATURE_ALGORITHM);
            verifier.initVerify(publisherKey);
            verifier.update(signedBytes());
            return verifier.verify(signature);
        } catch (java.security.GeneralSecurityException | IllegalArgumentException | NullPointerException e) {
            return false;
        }
    }

    /** The exact bytes the publisher signs and every verifier checks. */
    public byte[] signedBytes() {
        return ("progdist-program-statement-v1\n"
                + "program-id:" + programId + "\n"
                + "version:" + version + "\n"
                + "sha256:" + sha256 + "\n"
                + "size:" + size + "\n").getBytes(StandardCharsets.US_ASCII);
    }
}
