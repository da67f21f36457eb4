package dev.progdist.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.wire.DeviceBusMessage;
import dev.progdist.protocol.wire.TrpStatus;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.ExchangeTimedOutException;
import org.apache.camel.FluentProducerTemplate;

/**
 * The gateway's side of the device bus, for Java callers (CLI, tests, the check-in): sends a
 * request to one TRP and waits for its correlated reply. How the request travels is a
 * {@link Transport}: in a gateway process the {@code trp-status} and {@code trp-channel} routes
 * ({@link #DeviceBus(FluentProducerTemplate, java.util.function.Consumer)}); in the fleet simulator
 * plain JMS on its one shared broker, so that a thousand devices need no route or listener thread
 * each. Either way the checks and reports here are the same.
 */
public class DeviceBus {

    private static final int MAX_REPLY_CHARS = 256 * 1024;

    /**
     * Carries one request to the TRP of a device and returns its reply. Implementations throw
     * {@link NoAnswerException} when the TRP did not answer in time and any other
     * {@link RuntimeException} when the bus failed.
     */
    public interface Transport {
        /** A status request; returns the TRP's JSON reply (or {@code null}). */
        String status(String deviceId);

        /**
         * One relay step ({@code kind} {@code channel-open} or {@code channel-records}) with the
         * given {@code progdist*} request headers; returns the body and the reply's headers.
         */
        Reply channel(String deviceId, String kind, byte[] records, java.util.Map<String, Object> headers);
    }

    /** A TRP's reply as a transport received it: body ({@code byte[]}, {@code String} or null) and headers. */
    public record Reply(Object body, java.util.Map<String, ?> headers) {
    }

    /** The TRP did not answer within the transport's timeout. */
    public static final class NoAnswerException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public NoAnswerException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Transport transport;
    private final java.util.function.Consumer<String> knownDevice;

    /**
     * Through the gateway's routes ({@code direct:trp-status}, {@code direct:trp-channel}).
     * {@code knownDevice} sees each device before the first request to it (provisions its bus secret).
     */
    public DeviceBus(FluentProducerTemplate template, java.util.function.Consumer<String> knownDevice) {
        this(camel(template), knownDevice);
    }

    /** Through {@code transport}; {@code knownDevice} sees each device before each request to it. */
    public DeviceBus(Transport transport, java.util.function.Consumer<String> knownDevice) {
        this.transport = transport;
        this.knownDevice = knownDevice;
    }

    /** A TRP's answer to one relay step: its records and what it reports (never keys or plaintext). */
    public record ChannelStep(byte[] records, java.util.Map<String, String> report) {
        public String state() {
            return report.getOrDefault("progdistChannelState", "none");
        }

        public boolean terminal() {
            return state().equals("closed") || state().equals("failed") || state().equals("none");
        }
    }

    /**
     * Sends one step of a second path to the TRP ({@code channel-open} with no records, or
     * {@code channel-records}) and returns its answer.
     */
    public ChannelStep channel(String deviceId, String kind, byte[] records) {
        return channel(deviceId, kind, records, java.util.Map.of());
    }

    /**
     * As {@link #channel(String, String, byte[])}, with extra {@code progdist*} request headers.
     *
     * @throws IllegalStateException when the TRP does not answer in time or the bus fails
     */
    public ChannelStep channel(String deviceId, String kind, byte[] records, java.util.Map<String, Object> headers) {
        DeviceId.require(deviceId);
        knownDevice.accept(deviceId);
        Reply reply;
        try {
            reply = transport.channel(deviceId, kind, records, headers);
        } catch (NoAnswerException e) {
            throw new IllegalStateException("TRP " + deviceId + " did not answer on the device bus in time", e);
        } catch (IllegalStateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalStateException("device bus step to " + deviceId + " failed: " + e.getMessage(), e);
        }
        java.util.Map<String, String> report = new java.util.TreeMap<>();
        reply.headers().forEach((k, v) -> {
            if (k.startsWith("progdist") && !k.equals(DeviceBusMessage.DEVICE_HEADER)
                    && !k.equals(DeviceBusMessage.KIND_HEADER) && v != null) {
                report.put(k, v.toString());
            }
        });
        byte[] body = reply.body() instanceof byte[] b ? b
                : reply.body() instanceof String t ? t.getBytes(java.nio.charset.StandardCharsets.UTF_8) : null;
        return new ChannelStep(body == null ? new byte[0] : body, report);
    }

    /** The gateway process's transport: its device-bus routes and their JMS reply queues. */
    static Transport camel(FluentProducerTemplate template) {
        return new Transport() {
            @Override
            public String status(String deviceId) {
                try {
                    return template.withHeader(DeviceBusMessage.DEVICE_HEADER, deviceId).to("direct:trp-status")
                            .request(String.class);
                } catch (CamelExecutionException e) {
                    if (e.getCause() instanceof ExchangeTimedOutException) {
                        throw new NoAnswerException("no answer in time", e);
                    }
                    throw new IllegalStateException("device bus request to " + deviceId + " failed: " + e.getMessage(),
                            e);
                }
            }

            @Override
            public Reply channel(String deviceId, String kind, byte[] records, java.util.Map<String, Object> headers) {
                org.apache.camel.Exchange reply;
                try {
                    reply = template.withHeaders(new java.util.HashMap<>(headers))
                            .withHeader(DeviceBusMessage.DEVICE_HEADER, deviceId)
                            .withHeader(DeviceBusMessage.KIND_HEADER, kind)
                            .withBody(records).to("direct:trp-channel").send();
                } catch (CamelExecutionException e) {
                    throw new IllegalStateException("device bus step to " + deviceId + " failed: " + e.getMessage(), e);
                }
                if (reply.getException() != null) {
                    if (reply.getException() instanceof ExchangeTimedOutException) {
                        throw new NoAnswerException("no answer in time", reply.getException());
                    }
                    throw new IllegalStateException("device bus step to " + deviceId + " failed: "
                            + reply.getException().getMessage(), reply.getException());
                }
                return new Reply(reply.getMessage().getBody(byte[].class), reply.getMessage().getHeaders());
            }
        };
    }

    /**
     * Asks the TRP of {@code deviceId} for its status until it answers, for callers that have just
     * started it (demo, bench). {@code beforeEachTry} may throw to give up early (a child process
     * died). Each try waits up to {@code progdist.gateway.bus.request-timeout} for the answer.
     *
     * @throws IllegalStateException from the last try once {@code timeout} has passed
     */
    public TrpStatus awaitStatus(String deviceId, java.time.Duration timeout, Runnable beforeEachTry) {
        java.time.Instant deadline = java.time.Instant.now().plus(timeout);
        while (true) {
            beforeEachTry.run();
            try {
                return status(deviceId);
            } catch (IllegalStateException e) {
                if (java.time.Instant.now().isAfter(deadline)) {
                    throw e;
                }
            }
        }
    }

    /**
     * Asks the TRP of {@code deviceId} for its status.
     *
     * @throws IllegalStateException when the TRP does not answer in time or answers nonsense
     */
    public TrpStatus status(String deviceId) {
        DeviceId.require(deviceId);
        knownDevice.accept(deviceId);
        String reply;
        try {
            reply = transport.status(deviceId);
        } catch (NoAnswerException e) {
            throw new IllegalStateException("TRP " + deviceId + " did not answer on the device bus in time"
                    + " (is './progdist trp run --device " + deviceId + "' running?)", e);
        } catch (IllegalStateException e) {
            throw e;
        } catch (RuntimeException e) {
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
