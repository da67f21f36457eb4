package dev.progdist.processors.delivery;

import dev.progdist.processors.channel.InnerChannel;
import dev.progdist.processors.channel.ProcessorAuthentication;
import dev.progdist.processors.channel.ServerChannel;
import dev.progdist.protocol.channel.ChannelMessage;
import org.apache.camel.Exchange;

/** What the delivery stages share: where they find the channel, the delivery and the message. */
final class DeliverySteps {

    /** The stage that is running, so a failure can be named after it ({@code publisher-signature-invalid} vs {@code receipt-invalid}). */
    static final String STAGE = "progdistDeliveryStage";
    /** The stage while the route's crypto:verify checks the publisher signature. */
    static final String PUBLISHER_SIGNATURE = "publisher-signature";
    /** The stage while the route's crypto:verify checks the TRP's receipt signature. */
    static final String RECEIPT_SIGNATURE = "receipt-signature";

    private DeliverySteps() {
    }

    static ServerChannel channel(Exchange exchange) {
        ServerChannel c = exchange.getProperty(InnerChannel.CHANNEL, ServerChannel.class);
        if (c == null) {
            throw new IllegalStateException("delivery stage outside a second path");
        }
        return c;
    }

    static <T extends ChannelMessage> T message(Exchange exchange, Class<T> type) {
        Object m = exchange.getProperty(InnerChannel.DELIVERY_MESSAGE);
        if (!type.isInstance(m)) {
            throw new DeliveryRefusal("protocol-violation", "expected " + type.getSimpleName() + " from the TRP");
        }
        return type.cast(m);
    }

    /** The channel's delivery, which must be in {@code phase}. */
    static ServerDelivery delivery(ServerChannel channel, ServerDelivery.Phase phase) {
        ServerDelivery d = channel.delivery();
        if (d == null || d.phase() != phase) {
            throw new DeliveryRefusal("protocol-violation", "no delivery awaits this message");
        }
        return d;
    }

    static void stage(Exchange exchange, String stage) {
        exchange.setProperty(STAGE, stage);
    }

    /** Refuses to go on if the device lost its trust since the handshake (revoked, disabled, moved). */
    static void requireStillTrusted(ProcessorAuthentication authentication, ServerChannel channel) {
        ProcessorAuthentication.Revoked revoked = authentication.recheck(channel);
        if (revoked != null) {
            throw new DeliveryRefusal(revoked.code(), revoked.detail());
        }
    }
}
