package dev.progdist.processors.channel;

import dev.progdist.processors.auth.UserAuthentication;
import dev.progdist.processors.http.HttpExchanges;
import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.pki.DeviceCertificateException;
import dev.progdist.processors.pki.DeviceCertificateValidator;
import dev.progdist.processors.pki.ValidatedDevice;
import dev.progdist.processors.store.AuditTrail;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.Pem;
import java.security.cert.X509Certificate;
import java.util.List;
import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.wire.ProblemType;
import java.util.Map;
import org.apache.camel.Exchange;

/**
 * Operator-only device registry endpoints: {@code POST /api/v1/devices} (register to an owner,
 * optionally with the TRP certificate), {@code GET /api/v1/devices},
 * {@code POST /api/v1/devices/{deviceId}/disable} and {@code .../enable},
 * {@code GET /api/v1/devices/{deviceId}/channel-events}, and the tags:
 * {@code GET /api/v1/devices/{deviceId}/tags}, {@code PUT} and {@code DELETE
 * /api/v1/devices/{deviceId}/tags/{tag}}. The routes require the operator role first. Throws
 * {@link ProblemException}: {@code invalid-field}, {@code not-found}, {@code certificate-refused},
 * {@code id-conflict}, and the body problems of {@link HttpExchanges}.
 */
public class DeviceAdministration {

    /**
     * Body of {@code POST /api/v1/devices}: {@code certificate} (optional) is the TRP certificate in
     * PEM, which must validate ({@link DeviceCertificateValidator}) and name {@code deviceId};
     * absent or empty: none.
     */
    public record Registration(String deviceId, String owner, String certificate) {
        public Registration {
            // optional: HttpExchanges.readJson requires every component it finds null
            certificate = certificate == null ? "" : certificate;
        }
    }

    /** Answer of {@code GET /api/v1/devices/{deviceId}/tags}. */
    public record Tags(String deviceId, java.util.List<String> tags) {
    }

    /** The largest registration body: a PEM certificate fits the registry's 8192 characters. */
    static final int MAX_REGISTRATION_BYTES = 16 * 1024;

    private final DeviceRegistry devices;
    private final ChannelLog log;
    private final AuditTrail audit;
    private final DeviceCertificateValidator validator;

    /** @param validator checks a certificate given at registration, as the second path would */
    public DeviceAdministration(DeviceRegistry devices, ChannelLog log, AuditTrail audit,
            DeviceCertificateValidator validator) {
        this.devices = devices;
        this.log = log;
        this.audit = audit;
        this.validator = java.util.Objects.requireNonNull(validator, "validator");
    }

    public void register(Exchange exchange) {
        Registration r = HttpExchanges.readJson(exchange, Registration.class, MAX_REGISTRATION_BYTES);
        if (!DeviceId.isValid(r.deviceId())) {
            throw new ProblemException(ProblemType.INVALID_FIELD,
                    "field 'deviceId' must be 1 to 64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit");
        }
        X509Certificate certificate = r.certificate().isEmpty() ? null : certificateOf(r.deviceId(), r.certificate(),
                validator);
        String operator = exchange.getProperty(UserAuthentication.USER_ID, String.class);
        DeviceRegistry.Device d;
        try {
            d = devices.register(r.deviceId(), r.owner(), operator, certificate);
        } catch (dev.progdist.processors.store.IdConflictException e) {
            throw new ProblemException(ProblemType.ID_CONFLICT, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ProblemException(ProblemType.INVALID_FIELD, "field 'owner' names no user");
        }
        audit.record("device-registered", operator, "device:" + d.deviceId(), "owner " + d.ownerUserId()
                + (certificate == null ? "" : ", certificate " + Fingerprints.sha256(certificate)));
        HttpExchanges.replyJson(exchange, 201, d);
    }

    public void list(Exchange exchange) {
        HttpExchanges.replyJson(exchange, 200, Map.of("devices", devices.list(null, 10_000)));
    }

    public void disable(Exchange exchange) {
        setStatus(exchange, false);
    }

    public void enable(Exchange exchange) {
        setStatus(exchange, true);
    }

    public void channelEvents(Exchange exchange) {
        String deviceId = exchange.getMessage().getHeader("deviceId", String.class);
        HttpExchanges.replyJson(exchange, 200, Map.of("events", log.forDevice(deviceId)));
    }

    public void listTags(Exchange exchange) {
        String deviceId = exchange.getMessage().getHeader("deviceId", String.class);
        DeviceRegistry.Device d = devices.find(deviceId)
                .orElseThrow(() -> new ProblemException(ProblemType.NOT_FOUND, "no registered device '" + deviceId + "'"));
        HttpExchanges.replyJson(exchange, 200, new Tags(d.deviceId(), d.tags()));
    }

    public void addTag(Exchange exchange) {
        changeTag(exchange, true);
    }

    public void removeTag(Exchange exchange) {
        changeTag(exchange, false);
    }

    private void changeTag(Exchange exchange, boolean add) {
        String deviceId = exchange.getMessage().getHeader("deviceId", String.class);
        String tag = exchange.getMessage().getHeader("tag", String.class);
        if (!DeviceRegistry.isValidTag(tag)) {
            throw new ProblemException(ProblemType.INVALID_FIELD, "a tag must match " + DeviceRegistry.TAG_PATTERN
                    + " (1 to 32 characters of a-z 0-9 . _ -, starting with a letter or digit)");
        }
        boolean found;
        try {
            found = add ? devices.addTag(deviceId, tag) : devices.removeTag(deviceId, tag);
        } catch (IllegalArgumentException e) {
            throw new ProblemException(ProblemType.INVALID_FIELD, e.getMessage());
        }
        if (!found) {
            throw new ProblemException(ProblemType.NOT_FOUND, "no registered device '" + deviceId + "'");
        }
        audit.record(add ? "device-tagged" : "device-untagged",
                exchange.getProperty(UserAuthentication.USER_ID, String.class), "device:" + deviceId, "tag " + tag);
        HttpExchanges.replyJson(exchange, 200, devices.find(deviceId).orElseThrow());
    }

    /**
     * The TRP certificate of a registration: one PEM certificate (the leaf; a chain's further
     * certificates are ignored) that {@code validator} accepts now and that names {@code deviceId}.
     *
     * @throws ProblemException {@code certificate-refused} naming the reason otherwise
     */
    public static X509Certificate certificateOf(String deviceId, String pem, DeviceCertificateValidator validator) {
        if (pem.length() > 8192) {
            throw new ProblemException(ProblemType.CERTIFICATE_REFUSED,
                    "the certificate PEM is longer than 8192 characters");
        }
        List<X509Certificate> chain;
        try {
            chain = Pem.certificatesFromPem(pem);
        } catch (RuntimeException e) {
            throw new ProblemException(ProblemType.CERTIFICATE_REFUSED, "field 'certificate' is not a PEM certificate");
        }
        X509Certificate leaf = chain.get(0);
        ValidatedDevice validated;
        try {
            validated = validator.validate(List.of(leaf));
        } catch (DeviceCertificateException e) {
            throw new ProblemException(ProblemType.CERTIFICATE_REFUSED, e.code() + ": " + e.getMessage());
        }
        if (!validated.deviceId().equals(deviceId)) {
            throw new ProblemException(ProblemType.CERTIFICATE_REFUSED, "the certificate names device '"
                    + validated.deviceId() + "', not '" + deviceId + "'");
        }
        return leaf;
    }

    private void setStatus(Exchange exchange, boolean active) {
        String deviceId = exchange.getMessage().getHeader("deviceId", String.class);
        if (!DeviceId.isValid(deviceId) || !devices.setStatus(deviceId, active)) {
            throw new ProblemException(ProblemType.NOT_FOUND, "no registered device '" + deviceId + "'");
        }
        audit.record(active ? "device-enabled" : "device-disabled",
                exchange.getProperty(UserAuthentication.USER_ID, String.class), "device:" + deviceId, null);
        HttpExchanges.replyJson(exchange, 200, devices.find(deviceId).orElseThrow());
    }
}
