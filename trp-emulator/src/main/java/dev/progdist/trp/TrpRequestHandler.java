package dev.progdist.trp;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.wire.DeviceBusMessage;
import dev.progdist.protocol.wire.TrpStatus;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One TRP's answers to device-bus requests, free of any transport: the TRP process's route
 * ({@link TrpStatusResponder}) and the fleet simulator (many TRPs on one bus, plain JMS) both
 * answer through it. An empty answer means "send nothing": a {@link TrpFault#VANISH} TRP that has
 * gone silent. A {@link TrpFault#SLOW} TRP waits before answering each relay step.
 */
public final class TrpRequestHandler {

    /** The reply to send: body ({@code String} JSON or {@code byte[]} records) and its {@code progdist*} headers. */
    public record Reply(Object body, Map<String, String> headers) {
    }

    private final TrpIdentityStore identity;
    private final InstalledPrograms installed;
    private final TrpChannel channel;

    public TrpRequestHandler(TrpIdentityStore identity, InstalledPrograms installed, TrpChannel channel) {
        this.identity = identity;
        this.installed = installed;
        this.channel = channel;
    }

    public String deviceId() {
        return identity.deviceId();
    }

    /** True once this TRP answers nothing ({@link TrpFault#VANISH} after a delivery started). */
    public boolean silent() {
        return channel.vanished();
    }

    /**
     * Answers a request of {@code kind} ({@link DeviceBusMessage#KIND_HEADER}); {@code header}
     * reads the request's other headers, {@code body} is its body as the bus converter read it.
     *
     * @throws IllegalArgumentException for a fetch request whose program, version or mode is invalid
     */
    public Optional<Reply> handle(String kind, Function<String, String> header, Object body) {
        if (silent()) {
            return Optional.empty();
        }
        return switch (kind == null ? "" : kind) {
            case "status" -> Optional.of(new Reply(status(), Map.of()));
            case "channel-open" -> channelOpen(header.apply(DeviceBusMessage.FETCH_PROGRAM_HEADER),
                    header.apply(DeviceBusMessage.FETCH_VERSION_HEADER), header.apply(DeviceBusMessage.FETCH_MODE_HEADER));
            case "channel-records" -> channelRecords(body instanceof byte[] b ? b
                    : body instanceof String s ? s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1) : new byte[0]);
            default -> Optional.of(new Reply(unknownRequest(), Map.of()));
        };
    }

    /** Public facts about this TRP as JSON; never its private key. */
    public String status() {
        TrpStatus status = new TrpStatus(TrpStatus.VERSION, identity.deviceId(), identity.fingerprint(),
                identity.keyType().cliName(), installed.list());
        return json(status);
    }

    /**
     * {@code channel-open}: starts a second path; the reply carries the ClientHello. With a
     * program (and optional version and mode) the TRP fetches it once the server has authenticated it.
     */
    public Optional<Reply> channelOpen(String program, String version, String mode) {
        TrpChannel.FetchRequest fetch = program == null ? null : new TrpChannel.FetchRequest(program, version, mode);
        slow();
        return records(channel.open(fetch));
    }

    /** {@code channel-records}: the server's records in, this TRP's records out. */
    public Optional<Reply> channelRecords(byte[] in) {
        slow();
        return records(channel.receive(in));
    }

    public String unknownRequest() {
        return json(Map.of("error", "unknown-request", "detail", "this TRP does not know that request kind"));
    }

    private Optional<Reply> records(byte[] records) {
        if (channel.vanished()) {
            return Optional.empty();
        }
        return Optional.of(new Reply(records, channel.report()));
    }

    private void slow() {
        if (channel.faults().has(TrpFault.SLOW) && !channel.faults().slowDelay().isZero()) {
            try {
                Thread.sleep(channel.faults().slowDelay().toMillis()); // the simulated fault itself, not a wait for a test
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String json(Object value) {
        try {
            return Json.mapper().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
