package dev.progdist.trp;

import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.tls.SecureChannel;
import dev.progdist.protocol.tls.TlsEndpoint;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TRP's end of the second path: TLS 1.3 client with the TRP's unique key (its CertificateVerify
 * is the proof of possession), trusting only the distribution server's second-path certificate.
 * After the handshake it says Hello (its installed programs); the server answers HelloAck when
 * processor authentication has bound it to the user's session, or an Error. One channel at a
 * time; {@link #open()} starts a new one. Thread-safe (synchronized).
 */
public class TrpChannel {

    private final TrpIdentityStore identity;
    private final InstalledPrograms installed;
    private SecureChannel channel;
    private String errorCode;
    private String errorMessage;
    private boolean bound;

    public TrpChannel(TrpIdentityStore identity, InstalledPrograms installed) {
        this.identity = identity;
        this.installed = installed;
    }

    /** Starts a new channel and returns the ClientHello records. */
    public synchronized byte[] open() {
        errorCode = null;
        errorMessage = null;
        bound = false;
        channel = new SecureChannel(TlsEndpoint.client(context()));
        channel.tls().begin();
        return channel.drainOutbound();
    }

    /** Feeds the server's records; returns this end's records to relay back (maybe none). */
    public synchronized byte[] receive(byte[] records) {
        if (channel == null) {
            throw new IllegalStateException("no channel is open");
        }
        try {
            converse(channel.receive(records));
        } catch (RuntimeException e) {
            // whatever went wrong, this channel is over; the report says why
            errorCode = errorCode == null ? "trp-internal" : errorCode;
            errorMessage = e.getMessage();
            channel.tls().close();
        }
        return channel.drainOutbound();
    }

    private void converse(java.util.List<ChannelMessage> messages) {
        if (channel.tls().takeJustOpened() && channel.tls().state() == TlsEndpoint.State.OPEN) {
            channel.send(new ChannelMessage.Hello(identity.deviceId(), installed.list()));
        }
        if (channel.tls().state() == TlsEndpoint.State.FAILED) {
            return; // a failure anywhere in these bytes voids the messages that came with them
        }
        for (ChannelMessage m : messages) {
            boolean open = channel.tls().state() == TlsEndpoint.State.OPEN;
            if (m instanceof ChannelMessage.HelloAck ack && ack.deviceId().equals(identity.deviceId())) {
                bound = true;
                // nothing more to ask for yet: end the conversation in order
                if (open) {
                    channel.send(new ChannelMessage.Close());
                }
                channel.tls().close();
            } else if (m instanceof ChannelMessage.ErrorMessage e) {
                errorCode = e.code();
                errorMessage = e.message();
                channel.tls().close();
            } else if (m instanceof ChannelMessage.Close) {
                channel.tls().close();
            } else {
                errorCode = "protocol-violation";
                errorMessage = "unexpected " + m.type() + " from the server";
                if (open) {
                    channel.send(new ChannelMessage.ErrorMessage(errorCode, errorMessage));
                }
                channel.tls().close();
            }
        }
    }

    /** What a person (or the gateway) may know about the channel: no keys, no plaintext. */
    public synchronized Map<String, String> report() {
        Map<String, String> r = new TreeMap<>();
        if (channel == null) {
            r.put("progdistChannelState", "none");
            return r;
        }
        TlsEndpoint tls = channel.tls();
        r.put("progdistChannelState", tls.state().name().toLowerCase(java.util.Locale.ROOT));
        r.put("progdistBound", String.valueOf(bound));
        if (tls.state() != TlsEndpoint.State.HANDSHAKING && tls.state() != TlsEndpoint.State.FAILED) {
            r.put("progdistTlsProtocol", tls.session().getProtocol());
            r.put("progdistCipherSuite", tls.session().getCipherSuite());
            try {
                X509Certificate server = (X509Certificate) tls.session().getPeerCertificates()[0];
                r.put("progdistPeer", server.getSubjectX500Principal().getName());
            } catch (javax.net.ssl.SSLPeerUnverifiedException ignored) {
                // no peer yet
            }
        }
        String code = errorCode != null ? errorCode : channel.codecFailure();
        if (code == null && tls.state() == TlsEndpoint.State.FAILED) {
            code = "tls-failure";
        }
        if (code != null) {
            r.put("progdistChannelCode", code);
        }
        String detail = errorMessage != null ? errorMessage : tls.failure();
        if (detail != null) {
            r.put("progdistChannelDetail", detail.length() > 300 ? detail.substring(0, 300) : detail);
        }
        return r;
    }

    public synchronized boolean bound() {
        return bound;
    }

    private SSLContext context;

    /** Built once: the TRP's key is unwrapped from its store once, not per channel. */
    private SSLContext context() {
        if (context == null) {
            context = newContext();
        }
        return context;
    }

    private SSLContext newContext() {
        try {
            X509ExtendedTrustManager pkix = null;
            for (TrustManager tm : identity.trustManagers().getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    pkix = x;
                }
            }
            if (pkix == null) {
                throw new IllegalStateException("no X.509 trust manager for the distribution CA");
            }
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(identity.keyManagers().getKeyManagers(), new TrustManager[] {new ChannelServerTrust(pkix)},
                    null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up the TRP's TLS: " + e.getMessage(), e);
        }
    }
}
