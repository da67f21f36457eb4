package dev.progdist.processors.delivery;

import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.program.Entitlements;
import dev.progdist.protocol.channel.ChannelCode;

/**
 * Stage 2, entitlement: the user of the first-path session must hold a grant for the program the
 * TRP asked for. Runs before the catalog is consulted, so a user learns nothing about programs they
 * may not receive. Raises {@code not-entitled}. Replaceable: an integrator's policy bean may take its
 * place (same input, same output, same code), see docs/architecture.md.
 */
public class EntitlementCheck {

    private final Entitlements entitlements;

    public EntitlementCheck(Entitlements entitlements) {
        this.entitlements = entitlements;
    }

    /** DEVICE_CHECKED → ENTITLED. */
    public DeliveryContext check(DeliveryContext delivery) {
        delivery.require(Stage.DEVICE_CHECKED);
        String user = delivery.device().userId();
        if (!entitlements.isEntitled(user, delivery.request().programId())) {
            throw new DeliveryException(ChannelCode.NOT_ENTITLED, "user " + user + " is not entitled to "
                    + delivery.request().programId());
        }
        return delivery.at(Stage.ENTITLED);
    }
}
