package dev.progdist.processors.channel;

import dev.progdist.processors.pki.DeviceCertificateException;
import dev.progdist.processors.pki.DeviceCertificateValidator;
import dev.progdist.processors.store.AuditTrail;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.Fingerprints;
import java.security.cert.X509Certificate;
import java.util.Optional;
import dev.progdist.processors.delivery.DeliveryException;
import dev.progdist.processors.delivery.DeviceSession;
import dev.progdist.processors.delivery.DeviceTrust;
import dev.progdist.protocol.channel.ChannelCode;
import org.apache.camel.ExchangeProperty;

/**
 * The processor-authentication stage, run once per second path right after its TLS handshake.
 * By then TLS has proven that the TRP holds the private key of a certificate that chains to the
 * manufacturer CA, is within its validity and not revoked ({@code DeviceCertificateValidator} in
 * the handshake). This stage binds the second path to the first: the device must be registered,
 * active, and owned by the user of the first-path session. Any other outcome refuses the channel
 * with a stable code ({@code device-unknown}, {@code device-disabled}, {@code device-not-owned})
 * before a single application message is acted on.
 */
public class ProcessorAuthentication implements DeviceTrust {

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

    /**
     * Checks again, for an accepted channel, what may have changed since its handshake: the
     * certificate chain (validity now, and the CRL, which is re-read when it changes) and the device
     * registration (still registered, active, owned by the session's user). Delivery stages call
     * this before they send anything, so revoking or disabling a device stops a delivery in progress.
     *
     * @throws DeliveryException with the certificate or device code if the device is no longer trusted
     */
    @Override
    public void requireTrusted(DeviceSession session) {
        try {
            validator.validate(session.chain());
        } catch (DeviceCertificateException e) {
            throw new DeliveryException(e.reason().channelCode(), e.getMessage());
        }
        String deviceId = session.deviceId();
        Optional<DeviceRegistry.Device> device = devices.find(deviceId);
        if (device.isEmpty()) {
            throw new DeliveryException(ChannelCode.DEVICE_UNKNOWN, "device " + deviceId + " is no longer registered");
        }
        if (!device.get().active()) {
            throw new DeliveryException(ChannelCode.DEVICE_DISABLED, "device " + deviceId + " is disabled");
        }
        if (!device.get().ownerUserId().equals(session.userId())) {
            throw new DeliveryException(ChannelCode.DEVICE_NOT_OWNED, "device " + deviceId
                    + " is no longer registered to the user of this session");
        }
    }

    public void authenticate(@ExchangeProperty(InnerChannel.CHANNEL) ServerChannel channel) {
        X509Certificate cert = channel.peerCertificate();
        if (cert == null) {
            channel.refuse(null, null, ChannelCode.CERT_MISSING.label(), "the TRP presented no certificate");
            return;
        }
        String fingerprint = Fingerprints.sha256(cert);
        String deviceId;
        try {
            deviceId = CertificateProfile.deviceIdOf(cert);
        } catch (RuntimeException e) {
            channel.refuse(null, fingerprint, ChannelCode.CERT_PROFILE.label(), "the certificate does not name a device");
            return;
        }
        Optional<DeviceRegistry.Device> device = devices.find(deviceId);
        if (device.isEmpty()) {
            channel.refuse(deviceId, fingerprint, ChannelCode.DEVICE_UNKNOWN.label(), "device " + deviceId + " is not registered");
        } else if (!device.get().active()) {
            channel.refuse(deviceId, fingerprint, ChannelCode.DEVICE_DISABLED.label(), "device " + deviceId + " is disabled");
        } else if (!device.get().ownerUserId().equals(channel.userId())) {
            // do not say whose it is
            channel.refuse(deviceId, fingerprint, ChannelCode.DEVICE_NOT_OWNED.label(), "device " + deviceId
                    + " is not registered to the user of this session");
        } else {
            channel.accept(deviceId, fingerprint);
            devices.seen(deviceId, fingerprint, cert);
            log.record(channel.sessionId(), channel.userId(), deviceId, fingerprint, "authenticated", null, null);
            return;
        }
        audit.record("channel-refused", channel.userId(), "device:" + deviceId, channel.refusalCode());
    }
}
