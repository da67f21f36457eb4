package dev.progdist.gateway;

import java.util.Map;

/**
 * Carries one second path between a TRP (device bus) and the server (first path), step by step,
 * as opaque bytes. The gateway holds no key of the channel and cannot read or undetectably alter
 * what it carries; a {@link RecordTap} lets tests play a gateway that tries anyway.
 */
public class ChannelRelay {

    /** Most relay round trips one conversation may take before the relay gives up. */
    public static final int MAX_ROUNDS = 64;

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

    /**
     * Opens a second path between the server and the TRP of {@code deviceId} inside this gateway's
     * session and relays it until both ends are done.
     *
     * @throws FirstPathException    if the server refuses the relay itself (session, limits)
     * @throws IllegalStateException if the TRP does not answer on the device bus
     */
    public Outcome connect(String deviceId, RecordTap tap) {
        var session = sessions.session();
        // strict ping-pong: the TRP speaks, the server answers, until one side has nothing to say
        DeviceBus.ChannelStep trp = bus.channel(deviceId, "channel-open", new byte[0]);
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
