package dev.progdist.processors.delivery;

import dev.progdist.protocol.wire.TrpStatus;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * Who a delivery is for, as the second path established it: the first-path session and its user,
 * the device named by the TRP certificate that certificate validation and processor
 * authentication accepted (with its chain, for re-checks), and the programs the TRP said it holds
 * in its Hello. Made by the inner channel only; a stage never takes any of it from the TRP's
 * delivery messages.
 */
public record DeviceSession(String sessionId, String userId, String deviceId, List<X509Certificate> chain,
        List<TrpStatus.InstalledProgram> installed) {

    public DeviceSession {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(deviceId, "deviceId");
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a device session needs the validated certificate chain");
        }
        installed = List.copyOf(installed);
    }

    /** The TRP's validated certificate: the recipient of envelopes and the key of receipts. */
    public X509Certificate certificate() {
        return chain.get(0);
    }
}
