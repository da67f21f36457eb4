package dev.progdist.protocol.keys;

import java.security.SignatureException;

/**
 * A signature did not verify. The one failure of {@link Signatures#verify}, of the
 * {@link dev.progdist.protocol.program.ReceiptVerifier} and of the
 * {@link dev.progdist.protocol.program.PublisherSignatureVerifier}, whatever was wrong: a forged
 * or truncated signature, malformed DER or base64, an empty one, another key, other signed bytes.
 *
 * <p>Every instance carries the same {@link #MESSAGE} and no cause, so neither a log line nor a
 * response can tell one kind of bad input from another, nor echo any of its bytes (the habit of
 * Bouncy Castle's verifiers). It is a {@link SignatureException}, so a {@code catch} of
 * {@link java.security.GeneralSecurityException} (or a Camel {@code doCatch} on
 * {@code java.security.SignatureException}) still catches it.
 */
public final class InvalidSignatureException extends SignatureException {

    private static final long serialVersionUID = 1L;

    /** The one message of every instance. */
    public static final String MESSAGE = "signature does not verify";

    public InvalidSignatureException() {
        super(MESSAGE);
    }
}
