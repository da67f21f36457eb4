package dev.progdist.processors.delivery;

import dev.progdist.protocol.channel.ChannelCode;
import java.util.Objects;

/**
 * The one exception of the delivery stages: why the server refuses or abandons a delivery. The
 * {@link #code()} goes to the TRP in an Error message and into the delivery ledger; the message is
 * for people and holds no key material, plaintext or signature bytes. The inner channel's one
 * {@code doCatch} turns it into both and ends the channel.
 */
public final class DeliveryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient ChannelCode code;

    public DeliveryException(ChannelCode code, String detail) {
        super(detail);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ChannelCode code() {
        return code;
    }
}
