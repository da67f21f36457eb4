package dev.progdist.processors.delivery;

import dev.progdist.processors.channel.ProcessorAuthentication;
import dev.progdist.processors.channel.ServerChannel;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.program.ProgramVersions;
import dev.progdist.protocol.wire.TrpStatus;
import java.util.Optional;
import org.apache.camel.Exchange;

/**
 * The program-request stage: a TRP's Fetch on an authenticated second path. {@link #open} opens
 * the ledger row first, so every refusal after it is recorded, and checks again that the device is
 * still trusted. After the entitlement stage, {@link #resolve} picks the version (the latest by
 * {@link ProgramVersions#ORDER}, or the one asked for), refuses one that is not newer than what the
 * TRP said it holds (rollback), and prepares the publisher-signature check: the body becomes the
 * {@link ProgramStatement} and {@code CamelDigitalSignature} the stored signature, for the route's
 * {@code crypto:verify} step. Refusals: {@code unknown-program}, {@code rollback-refused},
 * {@code protocol-violation}, and the device codes of {@link ProcessorAuthentication#recheck}.
 */
public class ProgramRequest {

    /** Exchange property holding the {@link ServerDelivery}. */
    public static final String DELIVERY = "progdistDelivery";

    private final DeliveryLedger ledger;
    private final ProgramCatalog catalog;
    private final ProcessorAuthentication authentication;

    public ProgramRequest(DeliveryLedger ledger, ProgramCatalog catalog, ProcessorAuthentication authentication) {
        this.ledger = ledger;
        this.catalog = catalog;
        this.authentication = authentication;
    }

    public void open(Exchange exchange) {
        DeliverySteps.stage(exchange, "program-request");
        ServerChannel channel = DeliverySteps.channel(exchange);
        ChannelMessage.Fetch fetch = DeliverySteps.message(exchange, ChannelMessage.Fetch.class);
        if (channel.delivery() != null && channel.delivery().phase() != ServerDelivery.Phase.DONE) {
            throw new DeliveryRefusal("protocol-violation", "a delivery is already in progress on this channel");
        }
        String id = ledger.open(channel.sessionId(), channel.userId(), channel.deviceId(), fetch.programId(),
                emptyToNull(fetch.version()), emptyToNull(fetch.mode()));
        ServerDelivery delivery = new ServerDelivery(id, fetch.programId(), fetch.version(), fetch.mode());
        channel.delivery(delivery);
        exchange.setProperty(DELIVERY, delivery);
        DeliverySteps.requireStillTrusted(authentication, channel);
    }

    public void resolve(Exchange exchange) {
        DeliverySteps.stage(exchange, "program-request");
        ServerChannel channel = DeliverySteps.channel(exchange);
        ServerDelivery delivery = DeliverySteps.delivery(channel, ServerDelivery.Phase.REQUESTED);
        Optional<ProgramCatalog.ProgramVersion> found = delivery.requestedVersion().isEmpty()
                ? catalog.latest(delivery.programId())
                : catalog.find(delivery.programId(), delivery.requestedVersion());
        ProgramCatalog.ProgramVersion program = found.orElseThrow(() -> new DeliveryRefusal("unknown-program",
                "no published program " + delivery.programId()
                        + (delivery.requestedVersion().isEmpty() ? "" : " version " + delivery.requestedVersion())));
        for (TrpStatus.InstalledProgram held : channel.installed()) {
            if (held.programId().equals(program.programId())
                    && ProgramVersions.compare(program.version(), held.version()) <= 0) {
                throw new DeliveryRefusal("rollback-refused", "the device holds " + program.programId() + " "
                        + held.version() + "; version " + program.version() + " is not newer");
            }
        }
        delivery.program(program);
        ProgramStatement statement = new ProgramStatement(program.programId(), program.version(), program.sha256(),
                program.size());
        exchange.getMessage().setBody(statement.signedBytes());
        exchange.getMessage().setHeader("CamelDigitalSignature", program.publisherSignature());
        DeliverySteps.stage(exchange, DeliverySteps.PUBLISHER_SIGNATURE);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
