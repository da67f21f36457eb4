package dev.progdist.protocol.wire;

import java.util.List;

/**
 * A TRP's answer to a status request on the device bus: who it is and what it has installed.
 * Public information only: the certificate fingerprint identifies the TRP's unique key pair.
 */
public record TrpStatus(int version, String deviceId, String certificateFingerprint, String keyType,
        List<InstalledProgram> installed) {

    public static final int VERSION = 1;

    /** One installed program and its version. */
    public record InstalledProgram(String programId, String version) {
    }
}
