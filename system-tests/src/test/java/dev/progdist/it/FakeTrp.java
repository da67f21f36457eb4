package dev.progdist.it;

import dev.progdist.gateway.FirstPathClient;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.tls.SecureChannel;
import dev.progdist.protocol.tls.TlsEndpoint;
import dev.progdist.protocol.wire.SessionResponse;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A client end of the second path with whatever key and certificate chain a test gives it,
 * talking to the server straight over the first path (no gateway, no TRP store). It presents its
 * certificate without the checks a real TRP's key manager would make, so the server's own
 * checks are what is tested.
 */
final class FakeTrp {

    /** What happened: the server's last channel state and code, and whether a HelloAck came. */
    record Result(String serverState, String serverCode, boolean helloAcked, List<ChannelMessage> received) {
    }

    /** What the fake TRP sends in answer to one batch of the server's messages (maybe nothing). */
    interface Script {
        List<ChannelMessage> answer(List<ChannelMessage> fromServer);
    }

    static Result connect(FirstPathClient client, SessionResponse session, String deviceId, KeyPair keys,
            List<X509Certificate> chain, X509Certificate trustedServerCa) throws Exception {
        return converse(client, session, deviceId, keys, chain, trustedServerCa, batch -> List.of());
    }

    /** As {@link #connect}, then goes on talking as {@code script} says until either side stops. */
    static Result converse(FirstPathClient client, SessionResponse session, String deviceId, KeyPair keys,
            List<X509Certificate> chain, X509Certificate trustedServerCa, Script script) throws Exception {
        KeyStore ks = KeyStores.create();
        char[] pw = "fake".toCharArray();
        ks.setKeyEntry("k", keys.getPrivate(), pw, chain.toArray(X509Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, pw);
        javax.net.ssl.X509KeyManager real = (javax.net.ssl.X509KeyManager) kmf.getKeyManagers()[0];
        // present this chain whatever the server asks for: the server's checks are under test
        javax.net.ssl.X509ExtendedKeyManager always = new javax.net.ssl.X509ExtendedKeyManager() {
            @Override
            public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers,
                    javax.net.ssl.SSLEngine engine) {
                return "k";
            }

            @Override
            public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
                return new String[] {"k"};
            }

            @Override
            public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket s) {
                return "k";
            }

            @Override
            public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
                return null;
            }

            @Override
            public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket s) {
                return null;
            }

            @Override
            public X509Certificate[] getCertificateChain(String alias) {
                return real.getCertificateChain(alias);
            }

            @Override
            public java.security.PrivateKey getPrivateKey(String alias) {
                return real.getPrivateKey(alias);
            }
        };
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(KeyStores.trustStoreOf(trustedServerCa));
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(new javax.net.ssl.KeyManager[] {always}, tmf.getTrustManagers(), null);

        SecureChannel channel = new SecureChannel(TlsEndpoint.client(context));
        channel.tls().begin();
        byte[] out = channel.drainOutbound();
        FirstPathClient.ChannelReply reply = null;
        List<ChannelMessage> received = new ArrayList<>();
        for (int round = 0; round < 1024 && out.length > 0; round++) {
            reply = client.postChannel(session, out);
            if (reply.records().length == 0) {
                break;
            }
            List<ChannelMessage> batch = channel.receive(reply.records());
            received.addAll(batch);
            if (channel.tls().takeJustOpened() && channel.tls().state() == TlsEndpoint.State.OPEN) {
                channel.send(new ChannelMessage.Hello(deviceId, List.of()));
            }
            if (channel.tls().state() == TlsEndpoint.State.OPEN && !batch.isEmpty()) {
                for (ChannelMessage m : script.answer(batch)) {
                    channel.send(m);
                }
            }
            out = channel.drainOutbound();
        }
        boolean acked = received.stream().anyMatch(m -> m instanceof ChannelMessage.HelloAck);
        return new Result(reply == null ? "none" : reply.state(), reply == null ? null : reply.code(), acked, received);
    }

    private FakeTrp() {
    }
}
