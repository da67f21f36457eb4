package dev.progdist.protocol.envelope;

import dev.progdist.protocol.channel.ChannelCode;

/**
 * The one exception of the envelope package. Every failure carries a stable lower-case
 * {@link #code()} and the constant message of that code, so callers can fail closed with a single
 * {@code catch} and report a machine-readable reason.
 *
 * <p>Messages never contain key material, plaintext or bytes of the refused envelope. Only
 * {@link #IO} keeps its cause (the file system's message names a path); cryptographic failures
 * keep none, so that logs cannot turn into an oracle on why exactly a tag or an unwrap failed.
 */
public final class EnvelopeException extends Exception {

    private static final long serialVersionUID = 1L;

    /** The envelope does not follow its format: unknown magic or version, bad DER, absurd lengths. */
    public static final String MALFORMED = "envelope-malformed";
    /** The envelope was sealed for another certificate or key. */
    public static final String WRONG_RECIPIENT = "envelope-wrong-recipient";
    /** The recipient part names this key, but the key cannot recover the content key or KEM secret. */
    public static final String UNWRAP_FAILED = "envelope-unwrap-failed";
    /** A tag or MAC did not verify, or the envelope is truncated or extended. */
    public static final String AUTHENTICATION_FAILED = "envelope-authentication-failed";
    /** The certificate or private key is not an EC P-256 or RSA 3072..8192 encryption key. */
    public static final String UNSUPPORTED_KEY = "envelope-unsupported-key";
    /** Reading or writing a file failed. */
    public static final String IO = "envelope-io";

    private final String code;

    private EnvelopeException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** One of the code constants of this class. */
    public String code() {
        return code;
    }

    /** {@link #code()} as the channel code it is sent as (the labels are the same). */
    public ChannelCode reason() {
        return switch (code) {
            case MALFORMED -> ChannelCode.ENVELOPE_MALFORMED;
            case WRONG_RECIPIENT -> ChannelCode.ENVELOPE_WRONG_RECIPIENT;
            case UNWRAP_FAILED -> ChannelCode.ENVELOPE_UNWRAP_FAILED;
            case AUTHENTICATION_FAILED -> ChannelCode.ENVELOPE_AUTHENTICATION_FAILED;
            case UNSUPPORTED_KEY -> ChannelCode.ENVELOPE_UNSUPPORTED_KEY;
            case IO -> ChannelCode.ENVELOPE_IO;
            default -> throw new IllegalStateException("no channel code for " + code);
        };
    }

    static EnvelopeException malformed() {
        return new EnvelopeException(MALFORMED, "envelope is malformed", null);
    }

    static EnvelopeException wrongRecipient() {
        return new EnvelopeException(WRONG_RECIPIENT, "envelope is not sealed for this recipient", null);
    }

    static EnvelopeException unwrapFailed() {
        return new EnvelopeException(UNWRAP_FAILED, "envelope key cannot be recovered with this key", null);
    }

    static EnvelopeException authenticationFailed() {
        return new EnvelopeException(AUTHENTICATION_FAILED,
                "envelope failed authentication (tampered, truncated or extended)", null);
    }

    static EnvelopeException unsupportedKey() {
        return new EnvelopeException(UNSUPPORTED_KEY,
                "key is not an EC P-256 or RSA 3072..8192 bit encryption key", null);
    }

    static EnvelopeException io(Throwable cause) {
        return new EnvelopeException(IO, "envelope file input/output failed", cause);
    }
}
