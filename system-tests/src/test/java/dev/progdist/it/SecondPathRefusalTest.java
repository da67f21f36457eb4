package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.DeviceBus;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.channel.ChannelLog;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.devpki.CertificateAuthority;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.SecretSource;
import dev.progdist.protocol.tls.TlsEndpoint;
import dev.progdist.protocol.wire.SessionResponse;
import dev.progdist.trp.InstalledPrograms;
import dev.progdist.trp.TrpChannel;
import dev.progdist.trp.TrpIdentityStore;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Processor authentication refuses every certificate and registration it should, records why,
 * and acts on nothing the refused TRP says; and the TRP refuses a server that is not the
 * distribution server.
 */
class SecondPathRefusalTest {

    static final char[] SECRET = "refusal-test-secret".toCharArray();
    static final Instant NOW = Instant.now();

    @TempDir
    static Path dir;
    @TempDir
    static Path foreignDir;
    static Fleet fleet;
    static DevelopmentPki foreign;

    @BeforeAll
    static void start() throws Exception {
        fleet = Fleet.start(dir, "frank", SECRET, Map.of("rf-unreg", KeyType.EC_P256, "rf-other", KeyType.EC_P256,
                "rf-disabled", KeyType.RSA_3072, "rf-revoked", KeyType.EC_P256));
        fleet.addUser("gina", "gina-secret-value".toCharArray(), Role.USER);
        fleet.register("rf-other", "gina");
        fleet.register("rf-disabled", "frank");
        fleet.register("rf-revoked", "frank");
        fleet.register("rf-fake", "frank");
        fleet.serverBean("deviceRegistry", DeviceRegistry.class).setStatus("rf-disabled", false);
        foreign = DevelopmentPki.init(Home.at(foreignDir), DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        DeviceBus bus = fleet.gatewayBean("deviceBus", DeviceBus.class);
        for (String d : fleet.trps.keySet()) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> bus.status(d) != null);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    // --- registry and binding, through the real gateway and TRP emulators ---

    @Test
    void aValidButUnregisteredDeviceIsRefused() {
        assertRefusedThroughRelay("rf-unreg", "device-unknown");
    }

    @Test
    void aDeviceRegisteredToAnotherUserIsRefused() {
        assertRefusedThroughRelay("rf-other", "device-not-owned");
    }

    @Test
    void aDisabledDeviceIsRefused() {
        assertRefusedThroughRelay("rf-disabled", "device-disabled");
    }

    @Test
    void aRevokedDeviceIsRefusedWithoutAServerRestart() {
        ChannelRelay relay = fleet.relayAs("frank", SECRET);
        assertThat(relay.connect("rf-revoked").authenticated()).isTrue();

        fleet.pki.revokeDevice("rf-revoked", "keyCompromise");

        assertRefusedThroughRelay("rf-revoked", "cert-revoked");
    }

    private void assertRefusedThroughRelay(String device, String code) {
        ChannelRelay.Outcome o = fleet.relayAs("frank", SECRET).connect(device);
        assertThat(o.authenticated()).as(o.toString()).isFalse();
        assertThat(o.code()).isEqualTo(code);
        List<ChannelLog.Event> events = fleet.serverBean("channelLog", ChannelLog.class).forDevice(device);
        ChannelLog.Event last = events.get(events.size() - 1);
        assertThat(last.outcome()).isEqualTo("refused");
        assertThat(last.code()).isEqualTo(code);
        assertThat(last.userId()).isEqualTo("frank");
        assertThat(last.fingerprint()).isEqualTo(TrpIdentityStore.open(fleet.home, device).fingerprint());
        assertThat(last.at()).isAfter(NOW.minusSeconds(5));
    }

    // --- certificates, presented by a client that makes no checks of its own ---

    @Test
    void aCertificateFromAnUnknownCaIsRefused() throws Exception {
        KeyPair keys = ec();
        X509Certificate cert = loadCa(foreign.home(), "manufacturer-ca").issue(
                CertificateProfile.deviceSubject("rf-fake"), keys.getPublic(), NOW.minusSeconds(60),
                NOW.plus(Duration.ofDays(30)), KeyUsage.digitalSignature, List.of(KeyPurposeId.id_kp_clientAuth), null);
        assertFakeRefused(keys, List.of(cert, foreign.manufacturerCaCertificate()), "cert-untrusted");
    }

    @Test
    void aSelfSignedCertificateIsRefused() throws Exception {
        KeyPair keys = ec();
        X509Certificate self = CertificateAuthority.createRoot(CertificateProfile.deviceSubject("rf-fake"), keys,
                NOW.minusSeconds(60), NOW.plus(Duration.ofDays(30))).certificate();
        assertFakeRefused(keys, List.of(self), "cert-untrusted");
    }

    @Test
    void aCertificateFromTheDistributionCaIsNotADeviceCertificate() throws Exception {
        KeyPair keys = ec();
        X509Certificate cert = loadCa(fleet.home, "distribution-ca").issue(CertificateProfile.deviceSubject("rf-fake"),
                keys.getPublic(), NOW.minusSeconds(60), NOW.plus(Duration.ofDays(30)), KeyUsage.digitalSignature,
                List.of(KeyPurposeId.id_kp_clientAuth), null);
        assertFakeRefused(keys, List.of(cert), "cert-untrusted");
    }

    @Test
    void anExpiredCertificateIsRefused() throws Exception {
        assertFakeRefused(NOW.minus(Duration.ofDays(30)), NOW.minus(Duration.ofDays(1)), KeyUsage.digitalSignature,
                List.of(KeyPurposeId.id_kp_clientAuth), "cert-expired");
    }

    @Test
    void aNotYetValidCertificateIsRefused() throws Exception {
        assertFakeRefused(NOW.plus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(30)), KeyUsage.digitalSignature,
                List.of(KeyPurposeId.id_kp_clientAuth), "cert-not-yet-valid");
    }

    @Test
    void aCertificateWithoutClientAuthIsRefused() throws Exception {
        assertFakeRefused(NOW.minusSeconds(60), NOW.plus(Duration.ofDays(30)), KeyUsage.digitalSignature, List.of(),
                "cert-key-usage");
    }

    @Test
    void aProperlyIssuedCertificateIsAcceptedByTheSameClient() throws Exception {
        // the control case: the fake client itself is not what makes the others fail
        KeyPair keys = ec();
        X509Certificate cert = manufacturerIssue(keys, NOW.minusSeconds(60), NOW.plus(Duration.ofDays(30)),
                KeyUsage.digitalSignature, List.of(KeyPurposeId.id_kp_clientAuth));
        FirstPathClient client = fleet.client();
        SessionResponse session = client.login("frank", SECRET);
        FakeTrp.Result r = FakeTrp.connect(client, session, "rf-fake", keys,
                List.of(cert, fleet.pki.manufacturerCaCertificate()), fleet.pki.distributionCaCertificate());
        assertThat(r.helloAcked()).as(r.toString()).isTrue();
    }

    private void assertFakeRefused(Instant notBefore, Instant notAfter, int keyUsage, List<KeyPurposeId> eku,
            String code) throws Exception {
        KeyPair keys = ec();
        assertFakeRefused(keys, List.of(manufacturerIssue(keys, notBefore, notAfter, keyUsage, eku),
                fleet.pki.manufacturerCaCertificate()), code);
    }

    private void assertFakeRefused(KeyPair keys, List<X509Certificate> chain, String code) throws Exception {
        FirstPathClient client = fleet.client();
        SessionResponse session = client.login("frank", SECRET);
        FakeTrp.Result r = FakeTrp.connect(client, session, "rf-fake", keys, chain,
                fleet.pki.distributionCaCertificate());

        assertThat(r.helloAcked()).isFalse();
        assertThat(r.serverState()).isEqualTo("failed");
        assertThat(r.serverCode()).isEqualTo(code);
        List<ChannelLog.Event> events = fleet.serverBean("channelLog", ChannelLog.class).forSession(session.sessionId());
        assertThat(events).hasSize(1);
        assertThat(events.get(0).outcome()).isEqualTo("refused");
        assertThat(events.get(0).code()).isEqualTo(code);
        assertThat(events.get(0).detail()).isNotBlank();
    }

    private static X509Certificate manufacturerIssue(KeyPair keys, Instant notBefore, Instant notAfter, int keyUsage,
            List<KeyPurposeId> eku) {
        return loadCa(fleet.home, "manufacturer-ca").issue(CertificateProfile.deviceSubject("rf-fake"),
                keys.getPublic(), notBefore, notAfter, keyUsage, eku, null);
    }

    // --- the TRP's side: it talks only to the distribution server's channel certificate ---

    @Test
    void theTrpRefusesAServerWhoseCertificateIsNotFromItsDistributionCa() throws Exception {
        assertTrpRefusesServer(foreign.home(), "server/channel.p12", "server-channel", "channel");
    }

    @Test
    void theTrpRefusesTheDistributionServersHttpsCertificateOnTheSecondPath() throws Exception {
        // same CA, wrong certificate: only the second-path certificate is the server's identity here
        assertTrpRefusesServer(fleet.home, "server/https.p12", "server-https", "server");
    }

    private void assertTrpRefusesServer(Home serverHome, String store, String passwordName, String alias)
            throws Exception {
        char[] pw = new SecretSource(serverHome).get(passwordName);
        KeyStore ks = KeyStores.load(serverHome.root().resolve(store), pw);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, pw);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {new AcceptAnyClient()}, null);
        TlsEndpoint server = TlsEndpoint.server(ctx);

        TrpChannel trp = new TrpChannel(TrpIdentityStore.open(fleet.home, "rf-unreg"),
                new InstalledPrograms(fleet.home, "rf-unreg"));
        byte[] toServer = trp.open();
        for (int i = 0; i < 8 && toServer.length > 0; i++) {
            server.receive(toServer);
            byte[] toTrp = server.drainOutbound();
            if (toTrp.length == 0) {
                break;
            }
            toServer = trp.receive(toTrp);
        }
        assertThat(trp.bound()).isFalse();
        assertThat(trp.report()).containsEntry("progdistChannelState", "failed")
                .containsEntry("progdistChannelCode", "tls-failure");
        assertThat(server.state()).isNotEqualTo(TlsEndpoint.State.OPEN);
    }

    /** The fake server's trust: it accepts any client, so only the TRP's judgement is tested. */
    static final class AcceptAnyClient implements javax.net.ssl.X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    static CertificateAuthority loadCa(Home home, String name) {
        char[] pw = new SecretSource(home).get(name);
        KeyStore ks = KeyStores.load(home.pkiDir().resolve(name + ".p12"), pw);
        try {
            return new CertificateAuthority((PrivateKey) ks.getKey("ca", pw), (X509Certificate) ks.getCertificate("ca"));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }
}
