package dev.progdist.bench;

import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.channel.ServerChannelTls;
import dev.progdist.processors.pki.DeviceCertificateException;
import dev.progdist.processors.pki.DeviceCertificateValidator;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.tls.SecureChannel;
import dev.progdist.protocol.tls.TlsEndpoint;
import dev.progdist.trp.InstalledPrograms;
import dev.progdist.trp.TrpChannel;
import dev.progdist.trp.TrpIdentityStore;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.SecretSource;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The cryptographic work of one session, both ends, in one thread with nothing in between: the
 * server's Argon2id verify of the password, and the second path's TLS 1.3 handshake (ECDHE, both
 * CertificateVerify signatures and their checks, both chain validations, the server's through
 * {@link DeviceCertificateValidator} with its CRL, HKDF, AEAD records) plus Hello / HelloAck /
 * Close, with the TRP's real key and the server's real channel key, bytes handed over directly.
 * No HTTP, no JMS, no database.
 */
public final class CryptoBound {

    static final String SESSION_ID = "bench-crypto-session";
    /** Extra uncounted in-memory channels before the measured loop. */
    static final int CHANNEL_WARMUP = 100;

    private final Home home;
    private final String deviceId;
    private final String userId;
    private final PasswordHasher hasher;
    private final char[] secret;
    private final String storedHash;
    private final TrpIdentityStore identity;
    private final ServerChannelTls serverTls;
    private final DeviceCertificateValidator validator;
    private final SSLContext clientContext;
    private final SSLContext serverContext;
    private final AtomicReference<DeviceCertificateException> refusal = new AtomicReference<>();

    public CryptoBound(Home home, String deviceId, String userId, PasswordHasher hasher, char[] secret,
            String storedHash) {
        this.home = home;
        this.deviceId = deviceId;
        this.userId = userId;
        this.hasher = hasher;
        this.secret = secret;
        this.storedHash = storedHash;
        this.identity = TrpIdentityStore.open(home, deviceId);
        this.serverTls = ServerChannelTls.fromHome(home);
        // the trust manager the server's inner channel uses for the TRP's chain
        this.validator = DeviceCertificateValidator.forHome(home, Clock.systemUTC());
        this.serverContext = serverTls.newContext(validator.clientTrustManager(refusal::set));
        try {
            // the TRP's key and trust (TrpChannel adds a subject / EKU string check on the server's leaf)
            clientContext = SSLContext.getInstance("TLSv1.3");
            clientContext.init(identity.keyManagers().getKeyManagers(), identity.trustManagers().getTrustManagers(),
                    null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up the TRP's TLS context: " + e.getMessage(), e);
        }
    }

    /** Per-iteration timings. */
    public record Result(Samples argon2, Samples channel, Samples total) { }

    /**
     * Runs {@code warmup} uncounted and then {@code iterations} counted sessions' worth of crypto:
     * Argon2id verify, then TLS handshake + Hello/HelloAck/Close, each timed.
     */
    public Result run(int warmup, int iterations) {
        Samples argon2 = new Samples();
        Samples channel = new Samples();
        Samples total = new Samples();
        // the handshake is cheap next to Argon2id: give the JIT more of it before anything counts
        for (int i = 0; i < CHANNEL_WARMUP; i++) {
            channelOnce(TlsEndpoint.client(clientContext), serverContext);
        }
        for (int i = 0; i < warmup + iterations; i++) {
            long t0 = System.nanoTime();
            if (!hasher.verify(secret, storedHash)) {
                throw new IllegalStateException("Argon2id verify of the bench password failed");
            }
            long t1 = System.nanoTime();
            channelOnce(TlsEndpoint.client(clientContext), serverContext);
            long t2 = System.nanoTime();
            if (i >= warmup) {
                argon2.add(t1 - t0);
                channel.add(t2 - t1);
                total.add(t2 - t0);
            }
        }
        return new Result(argon2, channel, total);
    }

    /**
     * The channel alone, back to back: the bound without the login. (In {@link #run} each
     * handshake follows an Argon2id run that has just swept its memory through the caches.)
     */
    public Samples runChannels(int warmup, int iterations) {
        Samples samples = new Samples();
        for (int i = 0; i < Math.max(warmup, CHANNEL_WARMUP) + iterations; i++) {
            long t0 = System.nanoTime();
            channelOnce(TlsEndpoint.client(clientContext), serverContext);
            long t1 = System.nanoTime();
            if (i >= Math.max(warmup, CHANNEL_WARMUP)) {
                samples.add(t1 - t0);
            }
        }
        return samples;
    }

    /**
     * The same channel, but each end set up per channel the way the components do it: the TRP
     * end is the emulator's own {@link TrpChannel} (new SSLContext and key managers per channel,
     * installed-program list read from disk), the server end gets a new context around a new trust
     * manager as the inner channel does. Still no HTTP, no JMS.
     */
    public Samples runAsComponents(int warmup, int iterations) {
        Samples samples = new Samples();
        InstalledPrograms installed = new InstalledPrograms(home, deviceId);
        for (int i = 0; i < Math.max(warmup, CHANNEL_WARMUP) + iterations; i++) {
            long t0 = System.nanoTime();
            TrpChannel trp = new TrpChannel(identity, installed);
            SSLContext server = serverTls.newContext(validator.clientTrustManager(refusal::set));
            byte[] toServer = trp.open();
            ServerEnd end = new ServerEnd(TlsEndpoint.server(server));
            for (int round = 0; round < 64 && toServer.length > 0; round++) {
                byte[] toTrp = end.receive(toServer);
                if (toTrp.length == 0) {
                    break;
                }
                toServer = trp.receive(toTrp);
            }
            long t1 = System.nanoTime();
            if (!trp.bound() || !end.closedInOrder) {
                throw new IllegalStateException("in-memory channel (as components) did not complete: TRP "
                        + trp.report() + ", server " + end.describe());
            }
            if (i >= Math.max(warmup, CHANNEL_WARMUP)) {
                samples.add(t1 - t0);
            }
        }
        return samples;
    }

    /**
     * One channel's crypto, both ends (TLS 1.3 handshake with mutual authentication, Hello /
     * HelloAck / Close): a step of a larger crypto-only loop ({@code bench rollout}).
     */
    public void channel() {
        channelOnce(TlsEndpoint.client(clientContext), serverContext);
    }

    private void channelOnce(TlsEndpoint clientTls, SSLContext server) {
        SecureChannel client = new SecureChannel(clientTls);
        ServerEnd end = new ServerEnd(TlsEndpoint.server(server));
        boolean bound = false;
        clientTls.begin();
        byte[] toServer = client.drainOutbound();
        for (int round = 0; round < 64 && toServer.length > 0; round++) {
            byte[] toClient = end.receive(toServer);
            if (toClient.length == 0) {
                break;
            }
            List<ChannelMessage> messages = client.receive(toClient);
            if (clientTls.takeJustOpened()) {
                client.send(new ChannelMessage.Hello(deviceId, List.of()));
            }
            for (ChannelMessage m : messages) {
                if (m instanceof ChannelMessage.HelloAck ack && ack.deviceId().equals(deviceId)) {
                    bound = true;
                    client.send(new ChannelMessage.Close());
                    clientTls.close();
                } else {
                    throw new IllegalStateException("unexpected " + m.type() + " from the server end");
                }
            }
            toServer = client.drainOutbound();
        }
        if (!bound || !end.closedInOrder) {
            throw new IllegalStateException("in-memory channel did not complete: client " + clientTls.state() + " ("
                    + clientTls.failure() + "), server " + end.describe());
        }
    }

    /** What the server's inner channel does with the TRP's messages, minus HTTP and the registry lookup. */
    private final class ServerEnd {
        final SecureChannel channel;
        boolean helloSeen;
        boolean closedInOrder;

        ServerEnd(TlsEndpoint tls) {
            this.channel = new SecureChannel(tls);
            refusal.set(null);
        }

        byte[] receive(byte[] records) {
            for (ChannelMessage m : channel.receive(records)) {
                if (m instanceof ChannelMessage.Hello hello && !helloSeen && hello.deviceId().equals(deviceId)) {
                    helloSeen = true;
                    channel.send(new ChannelMessage.HelloAck(SESSION_ID, deviceId, userId));
                } else if (m instanceof ChannelMessage.Close && helloSeen) {
                    channel.tls().close();
                    closedInOrder = true;
                } else {
                    throw new IllegalStateException("unexpected " + m.type() + " from the TRP end");
                }
            }
            return channel.drainOutbound();
        }

        String describe() {
            DeviceCertificateException r = refusal.get();
            return channel.tls().state() + (r != null ? " (refused: " + r.getMessage() + ")"
                    : channel.tls().failure() != null ? " (" + channel.tls().failure() + ")" : "");
        }
    }

    /**
     * What reading a private key out of its PKCS#12 store costs (the store's password-based key
     * derivation and decryption), for the server's channel key and the TRP's key. Both ends use
     * SunX509 key managers, which do it once; the JDK's PKIX key manager would do it per handshake.
     */
    public record KeyUnwrap(Samples server, Samples trp) { }

    public KeyUnwrap keyUnwrap(int iterations) {
        return new KeyUnwrap(
                unwrap(home.serverDir().resolve("channel.p12"), "server-channel", DevelopmentPki.SERVER_CHANNEL_ALIAS,
                        iterations),
                unwrap(TrpIdentityStore.storeFile(home, deviceId), TrpIdentityStore.passwordName(deviceId),
                        TrpIdentityStore.IDENTITY_ALIAS, iterations));
    }

    private Samples unwrap(Path file, String secretName, String alias, int iterations) {
        char[] password = new SecretSource(home).get(secretName);
        KeyStore store = KeyStores.load(file, password);
        KeyStore.PasswordProtection protection = new KeyStore.PasswordProtection(password);
        Samples samples = new Samples();
        try {
            for (int i = 0; i < 2 * iterations; i++) {
                long t0 = System.nanoTime();
                if (!(store.getEntry(alias, protection) instanceof KeyStore.PrivateKeyEntry)) {
                    throw new IllegalStateException("no private key entry '" + alias + "' in " + file);
                }
                if (i >= iterations) {
                    samples.add(System.nanoTime() - t0);
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the key in " + file + ": " + e.getMessage(), e);
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
        return samples;
    }

    /** Protocol, cipher suite and both ends' key algorithms, from one extra in-memory handshake. */
    public String negotiated() {
        TlsEndpoint c = TlsEndpoint.client(clientContext);
        SecureChannel client = new SecureChannel(c);
        ServerEnd end = new ServerEnd(TlsEndpoint.server(serverContext));
        c.begin();
        client.receive(end.receive(client.drainOutbound()));
        try {
            var serverCert = (java.security.cert.X509Certificate) c.session().getPeerCertificates()[0];
            var trpCert = (java.security.cert.X509Certificate) c.session().getLocalCertificates()[0];
            return c.session().getProtocol() + " " + c.session().getCipherSuite() + "; TRP key "
                    + describe(trpCert.getPublicKey()) + ", server channel key " + describe(serverCert.getPublicKey());
        } catch (javax.net.ssl.SSLPeerUnverifiedException | RuntimeException e) {
            return c.state() + " (" + c.failure() + ")";
        }
    }

    private static String describe(java.security.PublicKey key) {
        if (key instanceof java.security.interfaces.ECPublicKey ec) {
            return "EC " + ec.getParams().getCurve().getField().getFieldSize() + "-bit";
        }
        if (key instanceof java.security.interfaces.RSAPublicKey rsa) {
            return "RSA " + rsa.getModulus().bitLength() + "-bit";
        }
        return key.getAlgorithm();
    }
}
