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
 * The signature algorithm follows the publisher key ({@link dev.progdist.protocol.keys.Signatures}):
 * ECDSA with SHA-256, DER-encoded, for the EC P-256 key progdist's publisher has; the signature
 * travels base64-encoded. {@link PublisherSignatureVerifier} checks it.
 */
public record ProgramStatement(String programId, String version, String sha256, long size) {

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
     * Whether {@code signatureBase64} is a valid signature of this statement by
     * {@code publisherKey} ({@link PublisherSignatureVerifier}). Fails closed: malformed base64 or
     * DER, a key of an unsupported type, or an oversized signature is simply {@code false}.
     */
    public boolean isSignedBy(java.security.PublicKey publisherKey, String signatureBase64) {
        try {
            PublisherSignatureVerifier.forKey(publisherKey)
                    .verify(this, dev.progdist.protocol.keys.Signatures.decodeBase64(signatureBase64));
            return true;
        } catch (dev.progdist.protocol.keys.InvalidSignatureException | IllegalArgumentException
                | NullPointerException e) {
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
