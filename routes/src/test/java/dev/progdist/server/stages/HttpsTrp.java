package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.processors.channel.InnerChannel;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.tls.SecureChannel;
import dev.progdist.protocol.tls.TlsEndpoint;
import dev.progdist.server.TestHttps;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TRP end of a second path, played by the test: a device's key and certificate chain in a TLS
 * 1.3 client ({@link TlsEndpoint#client}, {@link SecureChannel}) whose records go to
 * {@code POST /api/v1/sessions/{sid}/channel} of the real server over HTTPS, as the gateway relays
 * them, and the server's records come back in the answer.
 */
final class HttpsTrp {

    /** The server's answer to one relay round: its channel state and code, and what it said. */
    record Reply(int status, String state, String code, List<ChannelMessage> messages) {
    }

    private final TestHttps https;
    private final JsonNode session;
    private final SecureChannel channel;
    /** Every message the server sent on this channel, in order. */
    final List<ChannelMessage> received = new ArrayList<>();

    /** A TRP holding {@code device}'s key and chain, that trusts the server certificates of {@code serverCa}. */
    HttpsTrp(TestHttps https, JsonNode session, StageRouteTestSupport.TestDevice device, X509Certificate serverCa)
            throws Exception {
        this.https = https;
        this.session = session;
        KeyStore ks = KeyStores.create();
        char[] pw = "trp".toCharArray();
        ks.setKeyEntry("device", device.keys().getPrivate(), pw, device.chain().toArray(X509Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, pw);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(KeyStores.trustStoreOf(serverCa));
        SSLContext tls = SSLContext.getInstance(TlsEndpoint.PROTOCOL);
        tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        this.channel = new SecureChannel(TlsEndpoint.client(tls));
    }

    TlsEndpoint tls() {
        return channel.tls();
    }

    /**
     * Runs the handshake; as soon as the TRP's side is open, sends {@code first} with its Finished
     * (a real TRP sends its Hello). Relays until the server has nothing more to say or the channel
     * ends; the TRP answers nothing the server says after that. Returns the last round's reply.
     */
    Reply open(ChannelMessage... first) throws Exception {
        channel.tls().begin();
        Reply reply = null;
        byte[] out = channel.drainOutbound();
        for (int round = 0; round < 16 && out.length > 0; round++) {
            reply = post(out);
            if (channel.tls().takeJustOpened() && channel.tls().state() == TlsEndpoint.State.OPEN) {
                for (ChannelMessage m : first) {
                    channel.send(m);
                }
            }
            if (channel.tls().state() != TlsEndpoint.State.HANDSHAKING
                    && channel.tls().state() != TlsEndpoint.State.OPEN) {
                break;
            }
            out = channel.drainOutbound();
        }
        return reply;
    }

    /** Sends {@code messages} in one relay round and returns the server's answer. */
    Reply send(ChannelMessage... messages) throws Exception {
        for (ChannelMessage m : messages) {
            channel.send(m);
        }
        return post(channel.drainOutbound());
    }

    /** Posts {@code records} as the gateway relays them; the answer's records go into the TRP's TLS. */
    Reply post(byte[] records) throws Exception {
        HttpResponse<byte[]> r = postRaw(records);
        assertThat(r.statusCode()).as("the channel POST: %s", new String(r.body(), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(200);
        byte[] answer = r.body();
        List<ChannelMessage> batch = answer.length == 0 ? List.of() : channel.receive(answer);
        received.addAll(batch);
        return new Reply(r.statusCode(), r.headers().firstValue(InnerChannel.STATE_HEADER).orElse(null),
                r.headers().firstValue(InnerChannel.CODE_HEADER).orElse(null), batch);
    }

    /** Posts {@code records} as they are, and does not read the answer's records: the server's state and code. */
    Reply postUnread(byte[] records) throws Exception {
        HttpResponse<byte[]> r = postRaw(records);
        return new Reply(r.statusCode(), r.headers().firstValue(InnerChannel.STATE_HEADER).orElse(null),
                r.headers().firstValue(InnerChannel.CODE_HEADER).orElse(null), List.of());
    }

    private HttpResponse<byte[]> postRaw(byte[] records) throws Exception {
        return https.sendForBytes(https.request("/api/v1/sessions/" + session.path("sessionId").asText() + "/channel")
                .header("Authorization", "Bearer " + session.path("token").asText())
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(records)));
    }
}
