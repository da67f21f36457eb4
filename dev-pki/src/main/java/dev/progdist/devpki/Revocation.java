package dev.progdist.devpki;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Objects;

/** One entry of the manufacturer CA's revocation list: which serial, why, since when. */
public record Revocation(BigInteger serial, RevocationReason reason, Instant revokedAt) {

    public Revocation {
        Objects.requireNonNull(serial, "serial");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(revokedAt, "revokedAt");
        if (serial.signum() <= 0) {
            throw new IllegalArgumentException("certificate serial numbers are positive");
        }
    }

    /** The serial as lowercase hex without leading zeros, as in the issued-certificate index. */
    public String serialHex() {
        return serial.toString(16);
    }
}
