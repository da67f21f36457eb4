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
    public static final String MALFORMED = ChannelCode.ENVELOPE_MALFORMED.label();
    /** The envelope was sealed for another certificate or key. */
    public static final String WRONG_RECIPIENT = ChannelCode.ENVELOPE_WRONG_RECIPIENT.label();
    /** The recipient part names this key, but the key cannot recover the content key or KEM secret. */
    public static final String UNWRAP_FAILED = ChannelCode.ENVELOPE_UNWRAP_FAILED.label();
    /** A tag or MAC did not verify, or the envelope is truncated or extended. */
    public static final String AUTHENTICATION_FAILED = ChannelCode.ENVELOPE_AUTHENTICATION_FAILED.label();
    /** The certificate or private key is not an EC P-256 or RSA 3072..8192 encryption key. */
    public static final String UNSUPPORTED_KEY = ChannelCode.ENVELOPE_UNSUPPORTED_KEY.label();
    /** Reading or writing a file failed. */
    public static final String IO = ChannelCode.ENVELOPE_IO.label();

    private final transient ChannelCode reason;

    private EnvelopeException(ChannelCode reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** One of the code constants of this class: the label of {@link #reason()}. */
    public String code() {
        return reason.label();
    }

    /** The channel code this failure is sent and recorded as. */
    public ChannelCode reason() {
        return reason;
    }

    static EnvelopeException malformed() {
        return new EnvelopeException(ChannelCode.ENVELOPE_MALFORMED, "envelope is malformed", null);
    }

    static EnvelopeException wrongRecipient() {
        return new EnvelopeException(ChannelCode.ENVELOPE_WRONG_RECIPIENT, "envelope is not sealed for this recipient", null);
    }

    static EnvelopeException unwrapFailed() {
        return new EnvelopeException(ChannelCode.ENVELOPE_UNWRAP_FAILED, "envelope key cannot be recovered with this key", null);
    }

    static EnvelopeException authenticationFailed() {
        return new EnvelopeException(ChannelCode.ENVELOPE_AUTHENTICATION_FAILED,
                "envelope failed authentication (tampered, truncated or extended)", null);
    }

    static EnvelopeException unsupportedKey() {
        return new EnvelopeException(ChannelCode.ENVELOPE_UNSUPPORTED_KEY,
                "key is not an EC P-256 or RSA 3072..8192 bit encryption key", null);
    }

    static EnvelopeException io(Throwable cause) {
        return new EnvelopeException(ChannelCode.ENVELOPE_IO, "envelope file input/output failed", cause);
    }
}
