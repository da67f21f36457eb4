package dev.progdist.protocol.program;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.regex.Pattern;

/**
 * What a TRP signs with its unique key after installing a program: which device installed which
 * program and version, the SHA-256 of the installed bytes and of the envelope they came in, and the
 * second-path session and fresh server nonce of the delivery. The nonce makes each receipt good
 * for one delivery only, so a recorded receipt cannot be replayed for another.
 *
 * <p>The signed bytes ({@link #signedBytes()}) are ASCII text, one field per line, each ending in
 * {@code \n}:
 * <pre>
 * progdist-install-receipt-v1
 * device-id:&lt;deviceId&gt;
 * program-id:&lt;programId&gt;
 * version:&lt;version&gt;
 * program-sha256:&lt;64 lower-case hex&gt;
 * envelope-sha256:&lt;64 lower-case hex&gt;
 * session-id:&lt;sessionId&gt;
 * server-nonce:&lt;nonce, base64url without padding&gt;
 * </pre>
 * The signature algorithm follows the TRP key ({@link dev.progdist.protocol.keys.Signatures}): ECDSA
 * with SHA-256 (DER) for EC P-256, RSASSA-PKCS1-v1_5 with SHA-256 for RSA. {@link ReceiptVerifier}
 * checks it.
 */
public record InstallReceipt(String deviceId, String programId, String version, String programSha256,
        String envelopeSha256, String sessionId, String serverNonce) {

    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{1,128}");

    /** @throws IllegalArgumentException if a field breaks its rule */
    public InstallReceipt {
        if (deviceId == null || !dev.progdist.protocol.DeviceId.isValid(deviceId)) {
            throw new IllegalArgumentException("receipt: invalid device ID");
        }
        if (!ProgramVersions.isProgramId(programId) || !ProgramVersions.isVersion(version)) {
            throw new IllegalArgumentException("receipt: invalid program ID or version");
        }
        if (!ProgramStatement.isSha256Hex(programSha256) || !ProgramStatement.isSha256Hex(envelopeSha256)) {
            throw new IllegalArgumentException("receipt: digests must be 64 lower-case hex digits");
        }
        if (sessionId == null || !TOKEN.matcher(sessionId).matches() || serverNonce == null
                || !TOKEN.matcher(serverNonce).matches()) {
            throw new IllegalArgumentException("receipt: invalid session ID or nonce");
        }
    }

    public byte[] signedBytes() {
        return ("progdist-install-receipt-v1\n"
                + "device-id:" + deviceId + "\n"
                + "program-id:" + programId + "\n"
                + "version:" + version + "\n"
                + "program-sha256:" + programSha256 + "\n"
                + "envelope-sha256:" + envelopeSha256 + "\n"
                + "session-id:" + sessionId + "\n"
                + "server-nonce:" + serverNonce + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The JCA signature algorithm for receipts signed by a TRP with this key: the choice of
     * {@link dev.progdist.protocol.keys.Signatures#algorithmFor(PublicKey)}.
     *
     * @throws IllegalArgumentException for a key that is neither EC P-256 nor RSA
     */
    public static String signatureAlgorithm(PublicKey key) {
        return dev.progdist.protocol.keys.Signatures.algorithmFor(key);
    }
}
