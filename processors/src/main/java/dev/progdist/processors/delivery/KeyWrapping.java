package dev.progdist.processors.delivery;

import dev.progdist.processors.channel.ServerChannel;
import dev.progdist.protocol.envelope.EnvelopeException;
import dev.progdist.protocol.envelope.RecipientKeys;
import dev.progdist.protocol.program.EnvelopeMode;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import org.apache.camel.Exchange;

/**
 * The key-wrapping stage: makes the per-device key material of the envelope from the TRP
 * certificate that TLS and processor authentication validated on this channel (never from
 * anything the TRP or gateway merely said). The mode is the one the TRP asked for, else the
 * program's default, else {@code progdist.delivery.default-mode}. In {@code wrapped} mode a fresh
 * AES-256 content key is wrapped to the TRP key; in {@code direct} mode the payload key is derived
 * from a KEM encapsulation to the TRP key and nothing else travels.
 */
public class KeyWrapping {

    private final EnvelopeMode defaultMode;
    private final SecureRandom random = new SecureRandom();

    public KeyWrapping(EnvelopeMode defaultMode) {
        this.defaultMode = defaultMode;
    }

    public void wrap(Exchange exchange) {
        DeliverySteps.stage(exchange, "key-wrapping");
        ServerChannel channel = DeliverySteps.channel(exchange);
        ServerDelivery delivery = DeliverySteps.delivery(channel, ServerDelivery.Phase.REQUESTED);
        EnvelopeMode mode = !delivery.requestedMode().isEmpty() ? EnvelopeMode.parse(delivery.requestedMode())
                : delivery.program().defaultMode() != null ? delivery.program().defaultMode() : defaultMode;
        X509Certificate recipient = channel.peerCertificate();
        if (recipient == null) {
            throw new DeliveryRefusal("cert-missing", "the channel has no validated TRP certificate");
        }
        try {
            delivery.keys(RecipientKeys.forRecipient(mode, recipient, random));
        } catch (EnvelopeException e) {
            throw new DeliveryRefusal(e.code(), e.getMessage());
        }
    }
}
