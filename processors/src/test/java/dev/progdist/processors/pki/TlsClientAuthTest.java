package dev.progdist.processors.pki;

import dev.progdist.devpki.DevelopmentPki;
import static dev.progdist.processors.pki.PkiFixtures.csr;
import static dev.progdist.processors.pki.PkiFixtures.ec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.pki.DeviceCertificateException.Reason;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.SecretSource;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client trust manager in real TLS 1.3 handshakes (in memory, SSLEngine to SSLEngine, one thread). */
class TlsClientAuthTest {

    private static final char[] CLIENT_STORE_PASSWORD = "device-test".toCharArray();

    @TempDir
    java.nio.file.Path dir;

    private Home home;
    private DevelopmentPki pki;
    private DeviceCertificateValidator validator;
    private final List<DeviceCertificateException> refusals = new ArrayList<>();

    @BeforeEach
    void setUp() {
        home = Home.at(dir);
        pki = DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        validator = DeviceCertificateValidator.forHome(home, new MutableClock(Instant.now()));
    }

    @Test
    void ecAndRsaDevicesAuthenticate() throws Exception {
        for (KeyPair keys : List.of(ec(), PkiFixtures.rsa3072())) {
            X509Certificate cert = pki.certifyDevice("trp-tls", csr(keys));
            SSLEngine server = serverEngine();
            handshake(clientEngine(keys, cert), server);

            Certificate[] peer = server.getSession().getPeerCertificates();
            assertThat(peer[0]).isEqualTo(cert);
            assertThat(server.getSession().getProtocol()).isEqualTo("TLSv1.3");
            assertThat(validator.validate(List.of((X509Certificate) peer[0])).deviceId()).isEqualTo("trp-tls");
        }
        assertThat(refusals).isEmpty();
    }

    @Test
    void revokedDeviceIsRefusedInTheHandshake() throws Exception {
        KeyPair keys = ec();
        X509Certificate cert = pki.certifyDevice("trp-tls", csr(keys));
        pki.revokeDevice("trp-tls", "keyCompromise");

        SSLEngine server = serverEngine();
        assertThatThrownBy(() -> handshake(clientEngine(keys, cert), server)).isInstanceOf(SSLException.class);
        assertThat(refusals).extracting(DeviceCertificateException::reason).containsExactly(Reason.CERT_REVOKED);
    }

    @Test
    void deviceOfAnotherManufacturerIsRefusedInTheHandshake() throws Exception {
        DevelopmentPki other = DevelopmentPki.init(Home.at(dir.resolve("other")), DevelopmentPki.DEFAULT_SERVER_NAMES,
                false);
        KeyPair keys = ec();
        X509Certificate foreign = other.certifyDevice("trp-tls", csr(keys));

        assertThatThrownBy(() -> handshake(clientEngine(keys, foreign), serverEngine()))
                .isInstanceOf(SSLHandshakeException.class);
        assertThat(refusals).extracting(DeviceCertificateException::reason).containsExactly(Reason.CERT_UNTRUSTED);
    }

    // ---- engines -------------------------------------------------------------------------------

    private SSLEngine serverEngine() throws Exception {
        char[] password = new SecretSource(home, Map.of()).get(DevelopmentPki.SERVER_HTTPS_PASSWORD);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(KeyStores.load(pki.serverHttpsStore(), password), password);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {validator.clientTrustManager(refusals::add)},
                null);
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        engine.setNeedClientAuth(true);
        engine.setEnabledProtocols(new String[] {"TLSv1.3"});
        return engine;
    }

    private SSLEngine clientEngine(KeyPair keys, X509Certificate cert) throws Exception {
        KeyStore store = KeyStores.create();
        store.setKeyEntry("device", keys.getPrivate(), CLIENT_STORE_PASSWORD, new Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, CLIENT_STORE_PASSWORD);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(KeyStores.trustStoreOf(pki.distributionCaCertificate()));
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        SSLEngine engine = context.createSSLEngine("localhost", 443);
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(new String[] {"TLSv1.3"});
        return engine;
    }

    /**
     * Drives both engines until neither has handshake work or data in flight; throws what an
     * engine throws (the server's refusal, or the client's reading of the server's alert).
     */
    private static void handshake(SSLEngine client, SSLEngine server) throws SSLException {
        int size = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
        ByteBuffer toServer = ByteBuffer.allocate(4 * size);
        ByteBuffer toClient = ByteBuffer.allocate(4 * size);
        ByteBuffer clientApp = ByteBuffer.allocate(4 * size);
        ByteBuffer serverApp = ByteBuffer.allocate(4 * size);
        ByteBuffer nothing = ByteBuffer.allocate(0);
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 100; round++) {
            client.wrap(nothing, toServer);
            runTasks(client);
            server.wrap(nothing, toClient);
            runTasks(server);
            toServer.flip();
            server.unwrap(toServer, serverApp);
            toServer.compact();
            runTasks(server);
            toClient.flip();
            client.unwrap(toClient, clientApp);
            toClient.compact();
            runTasks(client);
            if (idle(client) && idle(server) && toServer.position() == 0 && toClient.position() == 0) {
                return;
            }
        }
        throw new AssertionError("the handshake did not finish");
    }

    private static boolean idle(SSLEngine engine) {
        HandshakeStatus status = engine.getHandshakeStatus();
        return status == HandshakeStatus.NOT_HANDSHAKING || status == HandshakeStatus.FINISHED;
    }

    private static void runTasks(SSLEngine engine) {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }
}
