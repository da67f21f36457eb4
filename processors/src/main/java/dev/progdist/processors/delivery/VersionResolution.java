package dev.progdist.processors.delivery;

import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.program.ProgramVersions;
import dev.progdist.protocol.wire.TrpStatus;

/**
 * Stage 3, version resolution: the version asked for, or the latest by {@link ProgramVersions#ORDER};
 * refused if it is not newer than the one the TRP said it holds (rollback protection). Raises
 * {@code unknown-program} and {@code rollback-refused}. Sealed.
 *
 * <p>One exception, for rollouts only: a delivery linked to a rollout assignment
 * ({@link DeliveryContext#assignment()}) of exactly the version the TRP already holds is served
 * again. That is how an assignment whose earlier delivery was installed but never recorded (the
 * server died between the TRP's receipt and its verification: {@code server-lost}) can still end
 * {@code installed}, on a fresh TRP-signed receipt and never on the TRP's Hello or the gateway's
 * word. It is no downgrade: the version is the one held, and the TRP accepts it only as an
 * identical re-installation (the same program SHA-256). Ordinary deliveries keep the strict rule.
 */
public class VersionResolution {

    private final ProgramCatalog catalog;

    public VersionResolution(ProgramCatalog catalog) {
        this.catalog = catalog;
    }

    /** ENTITLED → RESOLVED. */
    public DeliveryContext resolve(DeliveryContext delivery) {
        delivery.require(Stage.ENTITLED);
        DeliveryContext.Request request = delivery.request();
        ProgramCatalog.ProgramVersion program = (request.version().isEmpty()
                ? catalog.latest(request.programId())
                : catalog.find(request.programId(), request.version()))
                .orElseThrow(() -> new DeliveryException(ChannelCode.UNKNOWN_PROGRAM, "no published program "
                        + request.programId() + (request.version().isEmpty() ? "" : " version " + request.version())));
        for (TrpStatus.InstalledProgram held : delivery.device().installed()) {
            if (held.programId().equals(program.programId())
                    && ProgramVersions.compare(program.version(), held.version()) <= 0
                    && !reinstallsAssignedVersion(delivery, program, held)) {
                throw new DeliveryException(ChannelCode.ROLLBACK_REFUSED, "the device holds " + program.programId()
                        + " " + held.version() + "; version " + program.version() + " is not newer");
            }
        }
        return delivery.resolved(program);
    }

    /**
     * True for a rollout's delivery of exactly the version the TRP holds: the assignment claimed
     * exactly the requested version ({@link RolloutLink#claim}), and the held version is the same
     * text (not merely equal in version order, so {@code 02.0} held does not admit {@code 2.0}).
     */
    private static boolean reinstallsAssignedVersion(DeliveryContext delivery, ProgramCatalog.ProgramVersion program,
            TrpStatus.InstalledProgram held) {
        return delivery.assignment() != null
                && program.version().equals(delivery.request().version())
                && held.version().equals(program.version());
    }
}
