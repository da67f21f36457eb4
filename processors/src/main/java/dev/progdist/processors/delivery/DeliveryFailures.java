package dev.progdist.processors.delivery;

import dev.progdist.processors.channel.InnerChannel;
import dev.progdist.processors.channel.ServerChannel;
import dev.progdist.protocol.envelope.EnvelopeException;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Error handling of the delivery routes (declared once in the {@code delivery-errors} route
 * configuration): whatever stopped a delivery becomes a stable code in the ledger and in an Error to
 * the TRP, and the channel ends. A signature that does not verify is named after its stage:
 * {@code publisher-signature-invalid} before sending, {@code receipt-invalid} after. Unexpected
 * failures are {@code internal-error} towards the TRP and logged in full here only.
 */
public class DeliveryFailures {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryFailures.class);

    private final InnerChannel innerChannel;

    public DeliveryFailures(InnerChannel innerChannel) {
        this.innerChannel = innerChannel;
    }

    public void fail(Exchange exchange) {
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String stage = exchange.getProperty(DeliverySteps.STAGE, "delivery", String.class);
        String code;
        String detail;
        if (e instanceof DeliveryRefusal r) {
            code = r.code();
            detail = r.getMessage();
        } else if (e instanceof EnvelopeException x) {
            code = x.code();
            detail = x.getMessage();
        } else if (DeliverySteps.RECEIPT_SIGNATURE.equals(stage)) {
            // whatever crypto:verify threw (bad signature, malformed DER or base64): fail closed
            code = "receipt-invalid";
            detail = "the receipt signature does not verify with the TRP certificate";
        } else if (DeliverySteps.PUBLISHER_SIGNATURE.equals(stage)) {
            code = "publisher-signature-invalid";
            detail = "the stored publisher signature does not verify: the program is not delivered";
        } else {
            code = "internal-error";
            detail = "the server failed during " + stage;
            LOG.error("Delivery failed during {}", stage, e);
        }
        LOG.warn("Delivery refused during {}: {} ({})", stage, code, detail);
        ServerChannel channel = exchange.getProperty(InnerChannel.CHANNEL, ServerChannel.class);
        if (channel != null) {
            innerChannel.fail(channel, code, detail);
        }
    }
}
