package dev.progdist.processors.channel;

import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.delivery.DeliveryException;
import dev.progdist.protocol.channel.ChannelCode;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a failed delivery stage is handled (the {@code doCatch} of the inner-channel
 * route): a {@link DeliveryException} becomes its code in the ledger and in an Error to the TRP,
 * and the channel ends. Anything else is {@code internal-error} towards the TRP and the ledger,
 * named after the route that failed, and logged in full here only.
 */
public class DeliveryFailures {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryFailures.class);

    private final InnerChannel innerChannel;

    public DeliveryFailures(InnerChannel innerChannel) {
        this.innerChannel = innerChannel;
    }

    /**
     * @param failed the exception the stage threw
     * @param delivery the body when it failed: the context the failing stage was given
     * @param route the route that failed (its id names the stage)
     */
    public void fail(@ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Throwable failed, @Body Object delivery,
            @ExchangeProperty(Exchange.FAILURE_ROUTE_ID) String route,
            @ExchangeProperty(InnerChannel.CHANNEL) ServerChannel channel) {
        String stage = route == null ? "delivery" : route;
        String code;
        String detail;
        if (failed instanceof DeliveryException refusal) {
            code = refusal.code().label();
            detail = refusal.getMessage();
            LOG.warn("Delivery refused during {}: {} ({})", stage, code, detail);
        } else {
            code = ChannelCode.INTERNAL_ERROR.label();
            detail = "the server failed during " + stage;
            LOG.error("Delivery failed during {}", stage, failed);
        }
        if (channel != null) {
            innerChannel.failDelivery(channel, delivery instanceof DeliveryContext d ? d : null, code, detail);
        }
    }
}
