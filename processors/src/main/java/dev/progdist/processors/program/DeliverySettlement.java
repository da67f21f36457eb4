package dev.progdist.processors.program;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Called by {@link DeliveryLedger} inside the transaction that finishes a ledger row, so that
 * whatever follows from a delivery's outcome (a rollout assignment) commits or rolls back with it:
 * the two can never disagree, even across a crash.
 */
@FunctionalInterface
public interface DeliverySettlement {

    /**
     * @param installed true for a verified receipt; false for a failure with {@code code}
     */
    void settled(Connection connection, String deliveryId, boolean installed, String code, String detail)
            throws SQLException;

    DeliverySettlement NONE = (c, id, installed, code, detail) -> {
    };
}
