package dev.progdist.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.wire.TrpStatus;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.ExchangeTimedOutException;
import org.apache.camel.FluentProducerTemplate;

/**
 * The gateway's side of the device bus, for Java callers (CLI, tests): sends a request to one TRP
 * through the {@code trp-status} route and waits for its correlated reply.
 */
public class DeviceBus {

    private static final int MAX_REPLY_CHARS = 256 * 1024;

    private final FluentProducerTemplate template;

    public DeviceBus(FluentProducerTemplate template) {
        this.template = template;
    }

    /**
     * Asks the TRP of {@code deviceId} for its status.
     *
     * @throws IllegalStateException when the TRP does not answer in time or answers nonsense
     */
    public TrpStatus status(String deviceId) {
        DeviceId.require(deviceId);
        String reply;
        try {
            reply = template.withHeader("progdistDeviceId", deviceId).to("direct:trp-status").request(String.class);
        } catch (CamelExecutionException e) {
            if (e.getCause() instanceof ExchangeTimedOutException) {
                throw new IllegalStateException("TRP " + deviceId + " did not answer on the device bus in time"
                        + " (is './progdist trp run --device " + deviceId + "' running?)", e);
            }
            throw new IllegalStateException("device bus request to " + deviceId + " failed: " + e.getMessage(), e);
        }
        if (reply == null || reply.length() > MAX_REPLY_CHARS) {
            throw new IllegalStateException("TRP " + deviceId + " sent an empty or oversized reply");
        }
        try {
            TrpStatus status = Json.mapper().readValue(reply, TrpStatus.class);
            if (!deviceId.equals(status.deviceId())) {
                throw new IllegalStateException("the TRP on queue " + DeviceId.inboundQueue(deviceId)
                        + " says it is " + status.deviceId());
            }
            return status;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("TRP " + deviceId + " sent a malformed status reply", e);
        }
    }
}
