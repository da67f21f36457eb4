package dev.progdist.processors.channel;

import dev.progdist.processors.auth.UserAuthentication;
import dev.progdist.processors.http.HttpExchanges;
import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.store.AuditTrail;
import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.wire.ProblemType;
import java.util.Map;
import org.apache.camel.Exchange;

/**
 * Operator-only device registry endpoints: {@code POST /api/v1/devices} (register to an owner),
 * {@code GET /api/v1/devices}, {@code POST /api/v1/devices/{deviceId}/disable} and
 * {@code .../enable}, {@code GET /api/v1/devices/{deviceId}/channel-events}. The routes require
 * the operator role first. Throws {@link ProblemException}: {@code invalid-field},
 * {@code not-found}, and the body problems of {@link HttpExchanges}.
 */
public class DeviceAdministration {

    /** Body of {@code POST /api/v1/devices}. */
    public record Registration(String deviceId, String owner) {
    }

    private final DeviceRegistry devices;
    private final ChannelLog log;
    private final AuditTrail audit;

    public DeviceAdministration(DeviceRegistry devices, ChannelLog log, AuditTrail audit) {
        this.devices = devices;
        this.log = log;
        this.audit = audit;
    }

    public void register(Exchange exchange) {
        Registration r = HttpExchanges.readJson(exchange, Registration.class, 4096);
        if (!DeviceId.isValid(r.deviceId())) {
            throw new ProblemException(ProblemType.INVALID_FIELD,
                    "field 'deviceId' must be 1 to 64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit");
        }
        String operator = exchange.getProperty(UserAuthentication.USER_ID, String.class);
        DeviceRegistry.Device d;
        try {
            d = devices.register(r.deviceId(), r.owner(), operator);
        } catch (dev.progdist.processors.store.IdConflictException e) {
            throw new ProblemException(ProblemType.ID_CONFLICT, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ProblemException(ProblemType.INVALID_FIELD, "field 'owner' names no user");
        }
        audit.record("device-registered", operator, "device:" + d.deviceId(), "owner " + d.ownerUserId());
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
