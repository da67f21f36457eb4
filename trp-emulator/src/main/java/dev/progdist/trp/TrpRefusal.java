package dev.progdist.trp;

import dev.progdist.protocol.channel.ChannelCode;
import java.util.Objects;

/**
 * Why the TRP refuses a delivery. {@link #reason()} is the stable code the TRP sends to the server
 * in an Error message (the server records it in its ledger as {@code trp-<code>}); the message is
 * for people and never holds key material or program bytes.
 */
public final class TrpRefusal extends RuntimeException {

    private final ChannelCode reason;

    public TrpRefusal(ChannelCode reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public TrpRefusal(ChannelCode reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public ChannelCode reason() {
        return reason;
    }

    /** The wire label of {@link #reason()}. */
    public String code() {
        return reason.label();
    }
}
