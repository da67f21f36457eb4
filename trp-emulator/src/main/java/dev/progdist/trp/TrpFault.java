package dev.progdist.trp;

import java.util.Locale;

/**
 * A misbehaviour the TRP emulator can be told to show, so that rollouts' thresholds, timeouts and
 * security stop can be demonstrated and tested. Off unless the fleet simulator or the explicit
 * setting {@code progdist.trp.fault} turns one on; a real TRP has none of these.
 */
public enum TrpFault {
    /** Receives and checks the whole delivery, then answers Error {@code install-failed}. */
    REFUSE_INSTALL("refuse-install"),
    /** Answers DeliveryStart with Error {@code storage-full}. */
    STORAGE_FULL("storage-full"),
    /** Installs, then signs a receipt whose signature is corrupted: the server must see {@code receipt-invalid}. */
    BAD_RECEIPT("bad-receipt"),
    /** Stops answering on the device bus once a delivery has started, and never answers again. */
    VANISH("vanish"),
    /** Delays its answer to every relay step ({@code progdist.trp.fault.slow-delay}) but completes. */
    SLOW("slow");

    private final String label;

    TrpFault(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The fault named {@code label} (as in a fault spec), or {@link IllegalArgumentException} naming the known ones. */
    public static TrpFault parse(String label) {
        String l = label == null ? "" : label.strip().toLowerCase(Locale.ROOT);
        for (TrpFault f : values()) {
            if (f.label.equals(l)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown fault '" + label + "': use refuse-install, storage-full, "
                + "bad-receipt, vanish or slow");
    }
}
