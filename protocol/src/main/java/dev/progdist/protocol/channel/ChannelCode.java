package dev.progdist.protocol.channel;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every stable code of the second path: why a channel ended, why a certificate or device was
 * refused, why a frame was refused, why a delivery failed, at the server or at the TRP. The
 * {@link #label()} is what goes on the wire (an {@link ChannelMessage.ErrorMessage}'s {@code code}),
 * into {@code channel_events.code}, the delivery ledger's {@code reason} and the
 * {@code Progdist-Channel-Code} header. Labels never change once released; the tables in
 * {@code docs/protocol.md} list the same codes with the same {@link Origin}.
 *
 * <p>HTTP refusals of the first path are {@link dev.progdist.protocol.wire.ProblemType}s, a separate
 * set; {@link #INTERNAL_ERROR} is the one label in both.
 */
public enum ChannelCode {

    // ---- the channel itself (server end), docs/protocol.md §6.4 ----
    /** The TLS engine failed: an altered, replayed, reordered or foreign record, an alert, a refused peer. */
    TLS_FAILURE("tls-failure", Origin.CHANNEL),
    /** A message that the receiving end does not accept in its state (a second Hello, an unexpected type). */
    PROTOCOL_VIOLATION("protocol-violation", Origin.CHANNEL),
    /** The Hello names another device than the certificate. */
    HELLO_MISMATCH("hello-mismatch", Origin.CHANNEL),
    /** No accepted request for {@code progdist.channel.idle-timeout}. */
    IDLE_TIMEOUT("idle-timeout", Origin.CHANNEL),
    /** The stream stopped inside a record or frame. */
    TRUNCATED("truncated", Origin.CHANNEL),
    /** The first-path session was closed before its channel ended. */
    SESSION_CLOSED("session-closed", Origin.CHANNEL),
    /** The session was ended by a new secret, a disabled user or revoked sessions. */
    SESSION_ENDED("session-ended", Origin.CHANNEL),
    /** The channel ended while a delivery was in progress (the delivery's reason). */
    CHANNEL_CLOSED("channel-closed", Origin.CHANNEL),

    // ---- certificate validation (server, during the handshake), §5.1 ----
    CERT_MALFORMED("cert-malformed", Origin.CERTIFICATE),
    CERT_UNTRUSTED("cert-untrusted", Origin.CERTIFICATE),
    CERT_EXPIRED("cert-expired", Origin.CERTIFICATE),
    CERT_NOT_YET_VALID("cert-not-yet-valid", Origin.CERTIFICATE),
    CERT_KEY_USAGE("cert-key-usage", Origin.CERTIFICATE),
    CERT_PROFILE("cert-profile", Origin.CERTIFICATE),
    REVOCATION_UNAVAILABLE("revocation-unavailable", Origin.CERTIFICATE),
    CERT_REVOKED("cert-revoked", Origin.CERTIFICATE),
    /** The TLS session has no peer certificate (a guard: client authentication is required). */
    CERT_MISSING("cert-missing", Origin.CERTIFICATE),

    // ---- processor authentication (server, right after the handshake), §5.2 ----
    DEVICE_UNKNOWN("device-unknown", Origin.DEVICE),
    DEVICE_DISABLED("device-disabled", Origin.DEVICE),
    DEVICE_NOT_OWNED("device-not-owned", Origin.DEVICE),

    // ---- frames and payloads (both ends), §4 ----
    FRAME_MAGIC("frame-magic", Origin.FRAME),
    FRAME_VERSION("frame-version", Origin.FRAME),
    FRAME_TYPE("frame-type", Origin.FRAME),
    FRAME_TOO_LARGE("frame-too-large", Origin.FRAME),
    FRAME_TRUNCATED("frame-truncated", Origin.FRAME),
    PAYLOAD_MALFORMED("payload-malformed", Origin.FRAME),
    PAYLOAD_INVALID("payload-invalid", Origin.FRAME),

    // ---- delivery, refused by the server's stages, §7 ----
    NOT_ENTITLED("not-entitled", Origin.SERVER_DELIVERY),
    UNKNOWN_PROGRAM("unknown-program", Origin.SERVER_DELIVERY),
    ROLLBACK_REFUSED("rollback-refused", Origin.BOTH_DELIVERY),
    PUBLISHER_SIGNATURE_INVALID("publisher-signature-invalid", Origin.BOTH_DELIVERY),
    RECEIPT_INVALID("receipt-invalid", Origin.SERVER_DELIVERY),
    /** An unexpected server failure; details only in the server log. */
    INTERNAL_ERROR("internal-error", Origin.SERVER_DELIVERY),
    /** The delivery's rollout was stopped: the delivery ends at its next window. */
    ROLLOUT_STOPPED("rollout-stopped", Origin.SERVER_DELIVERY),
    /**
     * The server instance that ran the delivery stopped without finishing it (a crash, a kill, a
     * lost machine): recorded by another instance, or the same one after its restart.
     */
    SERVER_LOST("server-lost", Origin.SERVER_DELIVERY),

    // ---- envelopes (sealing at the server, opening at the TRP), docs/envelope.md ----
    ENVELOPE_MALFORMED("envelope-malformed", Origin.ENVELOPE),
    ENVELOPE_WRONG_RECIPIENT("envelope-wrong-recipient", Origin.ENVELOPE),
    ENVELOPE_UNWRAP_FAILED("envelope-unwrap-failed", Origin.ENVELOPE),
    ENVELOPE_AUTHENTICATION_FAILED("envelope-authentication-failed", Origin.ENVELOPE),
    ENVELOPE_UNSUPPORTED_KEY("envelope-unsupported-key", Origin.ENVELOPE),
    ENVELOPE_IO("envelope-io", Origin.ENVELOPE),

    // ---- delivery, refused by the TRP, §7 ----
    DELIVERY_MISMATCH("delivery-mismatch", Origin.TRP_DELIVERY),
    PUBLISHER_CERTIFICATE_INVALID("publisher-certificate-invalid", Origin.TRP_DELIVERY),
    ENVELOPE_SIZE_MISMATCH("envelope-size-mismatch", Origin.TRP_DELIVERY),
    ENVELOPE_DIGEST_MISMATCH("envelope-digest-mismatch", Origin.TRP_DELIVERY),
    PROGRAM_DIGEST_MISMATCH("program-digest-mismatch", Origin.TRP_DELIVERY),
    STORAGE_FULL("storage-full", Origin.TRP_DELIVERY),
    INSTALL_FAILED("install-failed", Origin.TRP_DELIVERY),
    STORAGE_FAILED("storage-failed", Origin.TRP_DELIVERY),
    /** The TRP failed internally while handling a step. */
    TRP_INTERNAL("trp-internal", Origin.TRP_DELIVERY);

    /** Which part of the protocol raises a code (the sections of docs/protocol.md). */
    public enum Origin {
        CHANNEL, CERTIFICATE, DEVICE, FRAME, SERVER_DELIVERY, TRP_DELIVERY, BOTH_DELIVERY, ENVELOPE
    }

    private static final Map<String, ChannelCode> BY_LABEL = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(ChannelCode::label, Function.identity()));

    private final String label;
    private final Origin origin;

    ChannelCode(String label, Origin origin) {
        this.label = label;
        this.origin = origin;
    }

    /** The wire token: lower case, {@code [a-z0-9-]{1,64}}. */
    public String label() {
        return label;
    }

    public Origin origin() {
        return origin;
    }

    /** The code with this wire label; empty for a label this version does not know (a newer peer's). */
    public static Optional<ChannelCode> fromLabel(String label) {
        return Optional.ofNullable(label == null ? null : BY_LABEL.get(label));
    }

    @Override
    public String toString() {
        return label;
    }
}
