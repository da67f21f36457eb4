package dev.progdist.processors.delivery;

import dev.progdist.processors.channel.ServerChannel;
import dev.progdist.processors.program.Entitlements;
import org.apache.camel.Exchange;

/**
 * The entitlement stage: the user of the first-path session must be entitled to the program the
 * TRP asked for. Runs before the catalog is consulted, so a user learns nothing about programs
 * they may not receive. Refusal: {@code not-entitled}.
 */
public class EntitlementCheck {

    private final Entitlements entitlements;

    public EntitlementCheck(Entitlements entitlements) {
        this.entitlements = entitlements;
    }

    public void check(Exchange exchange) {
        DeliverySteps.stage(exchange, "entitlement");
        ServerChannel channel = DeliverySteps.channel(exchange);
        ServerDelivery delivery = DeliverySteps.delivery(channel, ServerDelivery.Phase.REQUESTED);
        if (!entitlements.isEntitled(channel.userId(), delivery.programId())) {
            throw new DeliveryRefusal("not-entitled", "user " + channel.userId() + " is not entitled to "
                    + delivery.programId());
        }
    }
}
