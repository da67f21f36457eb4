package dev.progdist.processors.rollout;

import dev.progdist.processors.http.ProblemException;
import dev.progdist.protocol.wire.ProblemType;

/**
 * A rollout request or action was refused; nothing was changed. A {@link ProblemException}, so
 * it leaves the REST API as problem+json with {@link #type()}'s code; the message names what was
 * wrong (each bad devices-list entry, each owner not entitled) and never holds a secret.
 */
public final class RolloutException extends ProblemException {

    public RolloutException(ProblemType type, String message) {
        super(type, message);
    }
}
