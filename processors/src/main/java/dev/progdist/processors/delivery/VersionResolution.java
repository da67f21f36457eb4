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
                    && ProgramVersions.compare(program.version(), held.version()) <= 0) {
                throw new DeliveryException(ChannelCode.ROLLBACK_REFUSED, "the device holds " + program.programId()
                        + " " + held.version() + "; version " + program.version() + " is not newer");
            }
        }
        return delivery.resolved(program);
    }
}
