package dev.progdist.gateway;

import dev.progdist.protocol.wire.DeviceBusMessage;
import java.util.Map;

/**
 * Carries one second path between a TRP (device bus) and the server (first path), step by step,
 * as opaque bytes. The gateway holds no key of the channel and cannot read or undetectably alter
 * what it carries; a {@link RecordTap} lets tests play a gateway that tries anyway.
 */
public class ChannelRelay {

    /**
     * Most relay round trips one conversation may take before the relay gives up: enough for a
     * 64 GiB program at the server's default window of 1 MiB per round.
     */
    public static final int MAX_ROUNDS = 65_536;

    /** Sees (and may change) every byte the relay forwards. The honest gateway forwards as is. */
    public interface RecordTap {
        default byte[] toServer(int round, byte[] records) {
            return records;
        }

        default byte[] toTrp(int round, byte[] records) {
            return records;
        }
    }

    /** How a conversation ended, as both ends reported it. */
    public record Outcome(String trpState, Map<String, String> trpReport, String serverState, String serverCode,
            int rounds) {

        /** True when the TRP says the server bound it to this session (HelloAck received). */
        public boolean authenticated() {
            return "true".equals(trpReport.get("progdistBound"));
        }

        public String protocol() {
            return trpReport.get("progdistTlsProtocol");
        }

        public String cipherSuite() {
            return trpReport.get("progdistCipherSuite");
        }

        /** {@code installed} (the TRP installed it and signed a receipt), {@code failed}, or {@code null} (no fetch). */
        public String delivery() {
            return trpReport.get("progdistDelivery");
        }

        /** True when the TRP installed the program and the server accepted its receipt. */
        public boolean installed() {
            return "installed".equals(delivery()) && "accepted".equals(trpReport.get("progdistReceipt"));
        }

        /** The first refusal or failure code either end gave, or {@code null}. */
        public String code() {
            return serverCode != null ? serverCode : trpReport.get("progdistChannelCode");
        }
    }

    private final SessionKeeper sessions;
    private final FirstPathClient client;
    private final DeviceBus bus;

    public ChannelRelay(SessionKeeper sessions, FirstPathClient client, DeviceBus bus) {
        this.sessions = sessions;
        this.client = client;
        this.bus = bus;
    }

    public Outcome connect(String deviceId) {
        return connect(deviceId, new RecordTap() { });
    }

    /** What a fetch asks for: version and mode {@code null} for "latest" and "server's choice". */
    public record Fetch(String programId, String version, String mode) {
    }

    /**
     * Opens a second path and has the TRP fetch {@code fetch} over it: the server sends the
     * envelope window by window, the TRP installs and signs a receipt. The gateway relays
     * ciphertext only.
     */
    public Outcome fetch(String deviceId, Fetch fetch) {
        return fetch(deviceId, fetch, new RecordTap() { });
    }

    public Outcome fetch(String deviceId, Fetch fetch, RecordTap tap) {
        java.util.Map<String, Object> headers = new java.util.HashMap<>();
        headers.put(DeviceBusMessage.FETCH_PROGRAM_HEADER, fetch.programId());
        if (fetch.version() != null) {
            headers.put(DeviceBusMessage.FETCH_VERSION_HEADER, fetch.version());
        }
        if (fetch.mode() != null) {
            headers.put(DeviceBusMessage.FETCH_MODE_HEADER, fetch.mode());
        }
        return relay(deviceId, headers, tap);
    }

    /**
     * Opens a second path between the server and the TRP of {@code deviceId} inside this gateway's
     * session and relays it until both ends are done.
     *
     * @throws FirstPathException    if the server refuses the relay itself (session, limits)
     * @throws IllegalStateException if the TRP does not answer on the device bus
     */
    public Outcome connect(String deviceId, RecordTap tap) {
        return relay(deviceId, java.util.Map.of(), tap);
    }

    private Outcome relay(String deviceId, java.util.Map<String, Object> openHeaders, RecordTap tap) {
        var session = sessions.session();
        // strict ping-pong: the TRP speaks, the server answers, until one side has nothing to say
        DeviceBus.ChannelStep trp = bus.channel(deviceId, "channel-open", new byte[0], openHeaders);
        FirstPathClient.ChannelReply server = null;
        int round = 0;
        while (round < MAX_ROUNDS) {
            round++;
            byte[] toServer = tap.toServer(round, trp.records());
            if (toServer.length == 0) {
                break;
            }
            server = client.postChannel(session, toServer);
            byte[] toTrp = tap.toTrp(round, server.records());
            if (toTrp.length == 0) {
                break;
            }
            trp = bus.channel(deviceId, "channel-records", toTrp);
        }
        return new Outcome(trp.state(), trp.report(), server == null ? "none" : server.state(),
                server == null ? null : server.code(), round);
    }
}
