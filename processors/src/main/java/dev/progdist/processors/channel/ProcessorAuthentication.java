package dev.progdist.processors.channel;

import dev.progdist.processors.pki.DeviceCertificateException;
import dev.progdist.processors.pki.DeviceCertificateValidator;
import dev.progdist.processors.store.AuditTrail;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.Fingerprints;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.apache.camel.Exchange;

/**
 * The processor-authentication stage, run once per second path right after its TLS handshake.
 * By then TLS has proven that the TRP holds the private key of a certificate that chains to the
 * manufacturer CA, is within its validity and not revoked ({@code DeviceCertificateValidator} in
 * the handshake). This stage binds the second path to the first: the device must be registered,
 * active, and owned by the user of the first-path session. Any other outcome refuses the channel
 * with a stable code ({@code device-unknown}, {@code device-disabled}, {@code device-not-owned})
 * before a single application message is acted on.
 */
public class ProcessorAuthentication {

    private final DeviceRegistry devices;
    private final ChannelLog log;
    private final AuditTrail audit;
    private final DeviceCertificateValidator validator;

    public ProcessorAuthentication(DeviceRegistry devices, ChannelLog log, AuditTrail audit,
            DeviceCertificateValidator validator) {
        this.devices = devices;
        this.log = log;
        this.audit = audit;
        this.validator = validator;
    }

    /** Why an accepted channel's device is no longer trusted. */
    public record Revoked(String code, String detail) {
    }

    /**
     * Checks again, for an accepted channel, what may have changed since its handshake: the
     * certificate chain (validity now, and the CRL, which is re-read when it changes) and the device
     * registration (still registered, active, owned by the session's user). Delivery stages call
     * this before they send anything, so revoking or disabling a device stops a delivery in progress.
     *
     * @return {@code null} if the device is still trusted, else why not
     */
    public Revoked recheck(ServerChannel channel) {
        try {
            validator.validate(channel.peerChain());
        } catch (DeviceCertificateException e) {
            return new Revoked(e.reason().code(), e.getMessage());
        }
        Optional<DeviceRegistry.Device> device = devices.find(channel.deviceId());
        if (device.isEmpty()) {
            return new Revoked("device-unknown", "device " + channel.deviceId() + " is no longer registered");
        }
        if (!device.get().active()) {
            return new Revoked("device-disabled", "device " + channel.deviceId() + " is disabled");
        }
        if (!device.get().ownerUserId().equals(channel.userId())) {
            return new Revoked("device-not-owned", "device " + channel.deviceId()
                    + " is no longer registered to the user of this session");
        }
        return null;
    }

    public void authenticate(Exchange exchange) {
        ServerChannel channel = exchange.getProperty(InnerChannel.CHANNEL, ServerChannel.class);
        X509Certificate cert = channel.peerCertificate();
        if (cert == null) {
            channel.refuse(null, null, "cert-missing", "the TRP presented no certificate");
            return;
        }
        String fingerprint = Fingerprints.sha256(cert);
        String deviceId;
        try {
            deviceId = CertificateProfile.deviceIdOf(cert);
        } catch (RuntimeException e) {
            channel.refuse(null, fingerprint, "cert-profile", "the certificate does not name a device");
            return;
        }
        Optional<DeviceRegistry.Device> device = devices.find(deviceId);
        if (device.isEmpty()) {
            channel.refuse(deviceId, fingerprint, "device-unknown", "device " + deviceId + " is not registered");
        } else if (!device.get().active()) {
            channel.refuse(deviceId, fingerprint, "device-disabled", "device " + deviceId + " is disabled");
        } else if (!device.get().ownerUserId().equals(channel.userId())) {
            // do not say whose it is
            channel.refuse(deviceId, fingerprint, "device-not-owned", "device " + deviceId
                    + " is not registered to the user of this session");
        } else {
            channel.accept(deviceId, fingerprint);
            devices.seen(deviceId, fingerprint);
            log.record(channel.sessionId(), channel.userId(), deviceId, fingerprint, "authenticated", null, null);
            return;
        }
        audit.record("channel-refused", channel.userId(), "device:" + deviceId, channel.refusalCode());
    }
}
