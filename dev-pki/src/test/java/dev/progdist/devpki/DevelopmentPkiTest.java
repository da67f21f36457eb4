package dev.progdist.devpki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.Pem;
import dev.progdist.protocol.keys.PkiException;
import dev.progdist.protocol.keys.SecretSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevelopmentPkiTest {

    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
    // X509Certificate.getKeyUsage() indexes
    private static final int DIGITAL_SIGNATURE = 0;
    private static final int KEY_ENCIPHERMENT = 2;
    private static final int KEY_AGREEMENT = 4;
    private static final int KEY_CERT_SIGN = 5;
    private static final int CRL_SIGN = 6;

    private static KeyPair rsa3072;

    @TempDir
    Path dir;

    @BeforeAll
    static void slowKeys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(3072);
        rsa3072 = g.generateKeyPair();
    }

    private Home home() {
        return Home.at(dir);
    }

    private DevelopmentPki init() {
        return DevelopmentPki.init(home(), DevelopmentPki.DEFAULT_SERVER_NAMES, false);
    }

    @Test
    void initCreatesAllStoresAndCertificates() throws Exception {
        DevelopmentPki pki = init();
        Home home = home();
        for (Path p : List.of(pki.manufacturerCaStore(), pki.manufacturerCaPem(), pki.distributionCaStore(),
                pki.distributionCaPem(), pki.publisherStore(), pki.publisherPem(), pki.serverHttpsStore(),
                pki.serverChannelStore())) {
            assertThat(p).isRegularFile();
        }
        assertThat(pki.manufacturerCaStore()).isEqualTo(home.pkiDir().resolve("manufacturer-ca.p12"));
        assertThat(pki.serverHttpsStore()).isEqualTo(home.serverDir().resolve("https.p12"));
        assertThat(pki.serverChannelStore()).isEqualTo(home.serverDir().resolve("channel.p12"));
        assertThat(DevelopmentPki.exists(home)).isTrue();

        SecretSource secrets = new SecretSource(home, java.util.Map.of());
        KeyStore manufacturer = KeyStores.load(pki.manufacturerCaStore(), secrets.get("manufacturer-ca"));
        assertThat(manufacturer.getKey("ca", secrets.get("manufacturer-ca"))).isInstanceOf(PrivateKey.class);
        assertThat(manufacturer.getCertificate("ca")).isEqualTo(pki.manufacturerCaCertificate());
        assertThat(Pem.readCertificate(pki.manufacturerCaPem())).isEqualTo(pki.manufacturerCaCertificate());

        KeyStore distribution = KeyStores.load(pki.distributionCaStore(), secrets.get("distribution-ca"));
        assertThat(distribution.getCertificate("ca")).isEqualTo(pki.distributionCaCertificate());

        KeyStore publisher = KeyStores.load(pki.publisherStore(), secrets.get("publisher"));
        assertThat(publisher.getKey("publisher", secrets.get("publisher"))).isInstanceOf(PrivateKey.class);
        assertThat(publisher.getCertificate("publisher")).isEqualTo(pki.publisherCertificate());
        assertThat(pki.publisherCertificate().getExtendedKeyUsage()).containsExactly(CODE_SIGNING);
        assertThat(pki.publisherCertificate().getKeyUsage()[DIGITAL_SIGNATURE]).isTrue();
        validate(pki.publisherCertificate(), pki.distributionCaCertificate());

        KeyStore channel = KeyStores.load(pki.serverChannelStore(), secrets.get("server-channel"));
        X509Certificate channelCert = (X509Certificate) channel.getCertificate("channel");
        assertThat(channelCert.getSubjectX500Principal().getName()).isEqualTo("CN=progdist channel");
        assertThat(channelCert.getExtendedKeyUsage()).containsExactly(SERVER_AUTH);
        assertThat(channel.getCertificateChain("channel")).containsExactly(channelCert, pki.distributionCaCertificate());
        validate(channelCert, pki.distributionCaCertificate());

        // open() sees the same PKI
        DevelopmentPki opened = DevelopmentPki.open(home);
        assertThat(opened.manufacturerCaCertificate()).isEqualTo(pki.manufacturerCaCertificate());
        assertThat(opened.distributionCaCertificate()).isEqualTo(pki.distributionCaCertificate());
        assertThat(opened.publisherCertificate()).isEqualTo(pki.publisherCertificate());
    }

    @Test
    void secondInitIsRefusedWithoutForceAndReplacesWithForce() throws Exception {
        DevelopmentPki first = init();
        byte[] before = Files.readAllBytes(first.manufacturerCaStore());

        assertThatThrownBy(this::init)
                .isInstanceOf(PkiException.class)
                .hasMessage("a PKI already exists in " + home().pkiDir() + "; pass --force to replace it");
        assertThat(Files.readAllBytes(first.manufacturerCaStore())).isEqualTo(before);

        DevelopmentPki second = DevelopmentPki.init(home(), List.of("localhost"), true);
        assertThat(second.manufacturerCaCertificate()).isNotEqualTo(first.manufacturerCaCertificate());
        assertThat(second.distributionCaCertificate().getPublicKey())
                .isNotEqualTo(first.distributionCaCertificate().getPublicKey());
        assertThat(DevelopmentPki.open(home()).manufacturerCaCertificate())
                .isEqualTo(second.manufacturerCaCertificate());
        // the replaced PKI still works end to end
        assertThat(second.certifyDevice("dev-1", csr(ec("secp256r1"), "dev-1"))).isNotNull();
    }

    @Test
    void openWithoutPkiIsRefused() {
        assertThat(DevelopmentPki.exists(home())).isFalse();
        assertThatThrownBy(() -> DevelopmentPki.open(home())).isInstanceOf(PkiException.class)
                .hasMessageContaining("no PKI");
    }

    @Test
    void caCertificatesAreSelfSignedCasWithPathLengthZero() throws Exception {
        DevelopmentPki pki = init();
        for (X509Certificate ca : List.of(pki.manufacturerCaCertificate(), pki.distributionCaCertificate())) {
            assertThat(ca.getBasicConstraints()).isEqualTo(0); // CA:true, pathLen 0
            assertThat(ca.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
            assertThat(ca.getKeyUsage()[KEY_CERT_SIGN]).isTrue();
            assertThat(ca.getKeyUsage()[CRL_SIGN]).isTrue();
            assertThat(ca.getSubjectX500Principal()).isEqualTo(ca.getIssuerX500Principal());
            ca.verify(ca.getPublicKey());
            assertThat(ca.getSigAlgName()).isEqualTo("SHA256withECDSA");
            assertThat(ca.getSerialNumber().signum()).isPositive();
            assertThat(ca.getSerialNumber().bitLength()).isBetween(64, 128);
            assertThat(Duration.between(ca.getNotBefore().toInstant(), ca.getNotAfter().toInstant()).toDays())
                    .isBetween(3649L, 3651L);
        }
        assertThat(pki.manufacturerCaCertificate().getSubjectX500Principal())
                .isNotEqualTo(pki.distributionCaCertificate().getSubjectX500Principal());
    }

    @Test
    void serverHttpsCertificateHasSansAndChainsToDistributionCa() throws Exception {
        DevelopmentPki pki = DevelopmentPki.init(home(), List.of("localhost", "127.0.0.1", "progdist.test", "::1"),
                false);
        char[] password = new SecretSource(home(), java.util.Map.of()).get("server-https");
        KeyStore store = KeyStores.load(pki.serverHttpsStore(), password);
        assertThat(store.getKey("server", password)).isInstanceOf(PrivateKey.class);
        X509Certificate https = (X509Certificate) store.getCertificate("server");
        assertThat(store.getCertificateChain("server")).containsExactly(https, pki.distributionCaCertificate());

        assertThat(https.getSubjectX500Principal().getName()).isEqualTo("CN=progdist server");
        assertThat(https.getSubjectAlternativeNames()).containsExactlyInAnyOrder(
                List.of(2, "localhost"), List.of(7, "127.0.0.1"), List.of(2, "progdist.test"), List.of(7, "0:0:0:0:0:0:0:1"));
        assertThat(https.getExtendedKeyUsage()).containsExactly(SERVER_AUTH);
        assertThat(https.getKeyUsage()[DIGITAL_SIGNATURE]).isTrue();
        assertThat(https.getBasicConstraints()).isEqualTo(-1);
        assertThat(Duration.between(https.getNotBefore().toInstant(), https.getNotAfter().toInstant()).toDays())
                .isBetween(729L, 731L);

        validate(https, pki.distributionCaCertificate());
        assertThatThrownBy(() -> validate(https, pki.manufacturerCaCertificate()))
                .isInstanceOf(CertPathValidatorException.class);
    }

    @Test
    void invalidServerNamesAreRefused() {
        assertThatThrownBy(() -> DevelopmentPki.init(home(), List.of(), false)).isInstanceOf(PkiException.class);
        assertThatThrownBy(() -> DevelopmentPki.init(home(), List.of("bad name"), false))
                .isInstanceOf(PkiException.class).hasMessageContaining("bad name");
        assertThatThrownBy(() -> DevelopmentPki.init(home(), List.of("300.1.1.1"), false))
                .isInstanceOf(PkiException.class);
        assertThat(DevelopmentPki.exists(home())).isFalse();
    }

    @Test
    void certifiesEcDevice() throws Exception {
        DevelopmentPki pki = init();
        KeyPair keys = ec("secp256r1");
        X509Certificate cert = pki.certifyDevice("trp-0001", csr(keys, "asked-for-something-else"));

        assertThat(cert.getPublicKey()).isEqualTo(keys.getPublic());
        assertThat(cert.getSubjectX500Principal().getName())
                .isEqualTo("CN=trp-0001,OU=TRP,O=progdist development manufacturer");
        assertThat(CertificateProfile.deviceIdOf(cert)).isEqualTo("trp-0001");
        boolean[] usage = cert.getKeyUsage();
        assertThat(usage[DIGITAL_SIGNATURE]).isTrue();
        assertThat(usage[KEY_AGREEMENT]).isTrue();
        assertThat(usage[KEY_ENCIPHERMENT]).isFalse();
        assertThat(usage[KEY_CERT_SIGN]).isFalse();
        assertThat(cert.getCriticalExtensionOIDs()).contains("2.5.29.15", "2.5.29.19");
        assertThat(cert.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
        assertThat(cert.getBasicConstraints()).isEqualTo(-1);
        assertThat(cert.getSigAlgName()).isEqualTo("SHA256withECDSA");
        // never outlives the CA that issued it
        assertThat(cert.getNotAfter()).isBeforeOrEqualTo(pki.manufacturerCaCertificate().getNotAfter());
        assertThat(cert.getNotAfter().toInstant()).isAfter(Instant.now().plus(Duration.ofDays(3640)));

        validate(cert, pki.manufacturerCaCertificate());
        assertThatThrownBy(() -> validate(cert, pki.distributionCaCertificate()))
                .isInstanceOf(CertPathValidatorException.class);
    }

    @Test
    void certifiesRsaDevice() throws Exception {
        DevelopmentPki pki = init();
        X509Certificate cert = pki.certifyDevice("trp-rsa", csr(rsa3072, "trp-rsa"), Duration.ofDays(30));

        assertThat(cert.getPublicKey()).isEqualTo(rsa3072.getPublic());
        assertThat(CertificateProfile.deviceIdOf(cert)).isEqualTo("trp-rsa");
        boolean[] usage = cert.getKeyUsage();
        assertThat(usage[DIGITAL_SIGNATURE]).isTrue();
        assertThat(usage[KEY_ENCIPHERMENT]).isTrue();
        assertThat(usage[KEY_AGREEMENT]).isFalse();
        assertThat(cert.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
        assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()).toDays())
                .isBetween(29L, 31L);
        validate(cert, pki.manufacturerCaCertificate());
        assertThatThrownBy(() -> validate(cert, pki.distributionCaCertificate()))
                .isInstanceOf(CertPathValidatorException.class);
    }

    @Test
    void explicitValidityAllowsExpiredCertificates() throws Exception {
        DevelopmentPki pki = init();
        Instant notBefore = Instant.parse("2020-01-01T00:00:00Z");
        Instant notAfter = Instant.parse("2020-01-02T00:00:00Z");
        X509Certificate cert = pki.certifyDevice("old", csr(ec("secp256r1"), "old"), notBefore, notAfter);
        assertThat(cert.getNotBefore().toInstant()).isEqualTo(notBefore);
        assertThat(cert.getNotAfter().toInstant()).isEqualTo(notAfter);
        assertThatThrownBy(() -> validate(cert, pki.manufacturerCaCertificate()))
                .isInstanceOf(CertPathValidatorException.class);
        assertThatThrownBy(() -> pki.certifyDevice("old", csr(ec("secp256r1"), "old"), notAfter, notBefore))
                .isInstanceOf(PkiException.class);
    }

    @Test
    void csrWithTamperedContentIsRefused() throws Exception {
        DevelopmentPki pki = init();
        byte[] der = csr(ec("secp256r1"), "zzzzzz").getEncoded();
        int at = indexOf(der, "zzzzzz".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        der[at] = 'y'; // the signature no longer covers these bytes
        PKCS10CertificationRequest tampered = new PKCS10CertificationRequest(der);

        assertThatThrownBy(() -> pki.certifyDevice("dev", tampered))
                .isInstanceOf(PkiException.class).hasMessageContaining("invalid signature");
    }

    @Test
    void csrSignedByAnotherKeyIsRefused() throws Exception {
        DevelopmentPki pki = init();
        KeyPair claimed = ec("secp256r1");
        KeyPair signer = ec("secp256r1");
        PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=dev"),
                claimed.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate()));

        assertThatThrownBy(() -> pki.certifyDevice("dev", csr))
                .isInstanceOf(PkiException.class).hasMessageContaining("proof of possession");
    }

    @Test
    void weakOrUnsupportedKeysAreRefused() throws Exception {
        DevelopmentPki pki = init();
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        PKCS10CertificationRequest rsa2048 = csr(g.generateKeyPair(), "dev");
        PKCS10CertificationRequest p384 = csr(ec("secp384r1"), "dev");

        assertThatThrownBy(() -> pki.certifyDevice("dev", rsa2048))
                .isInstanceOf(PkiException.class).hasMessageContaining("2048").hasMessageContaining("EC P-256");
        assertThatThrownBy(() -> pki.certifyDevice("dev", p384))
                .isInstanceOf(PkiException.class).hasMessageContaining("EC P-256");
    }

    @Test
    void weakCsrSignatureAlgorithmIsRefused() throws Exception {
        DevelopmentPki pki = init();
        PKCS10CertificationRequest sha1 = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=dev"),
                rsa3072.getPublic()).build(new JcaContentSignerBuilder("SHA1withRSA")
                        .setProvider(new BouncyCastleProvider()).build(rsa3072.getPrivate()));
        assertThatThrownBy(() -> pki.certifyDevice("dev", sha1))
                .isInstanceOf(PkiException.class).hasMessageContaining("signature algorithm");
    }

    @Test
    void invalidDeviceIdIsRefused() throws Exception {
        DevelopmentPki pki = init();
        PKCS10CertificationRequest csr = csr(ec("secp256r1"), "dev");
        for (String bad : new String[] {"", "-dev", "dev,O=evil", "a/b", "x".repeat(65), null}) {
            assertThatThrownBy(() -> pki.certifyDevice(bad, csr))
                    .as("device ID %s", bad)
                    .isInstanceOf(PkiException.class).hasMessageContaining("invalid device ID");
        }
        assertThatThrownBy(() -> pki.certifyDevice("dev", null)).isInstanceOf(PkiException.class);
    }

    @Test
    void certifyingNeedsTheManufacturerPassword() throws Exception {
        DevelopmentPki pki = init();
        Files.delete(new SecretSource(home()).file("manufacturer-ca"));
        assertThatThrownBy(() -> pki.certifyDevice("dev", csr(ec("secp256r1"), "dev")))
                .isInstanceOf(PkiException.class).hasMessageContaining("manufacturer-ca");
    }

    @Test
    void substitutedManufacturerPemIsDetected() throws Exception {
        DevelopmentPki pki = init();
        // An attacker replaces the public PEM with the distribution CA: certifyDevice must not trust it.
        Pem.writeCertificate(pki.manufacturerCaPem(), pki.distributionCaCertificate());
        DevelopmentPki reopened = DevelopmentPki.open(home());
        assertThatThrownBy(() -> reopened.certifyDevice("dev", csr(ec("secp256r1"), "dev")))
                .isInstanceOf(PkiException.class).hasMessageContaining("does not match");
    }

    @Test
    void storesAndPasswordFilesAreOwnerOnly() throws Exception {
        DevelopmentPki pki = init();
        Home home = home();
        SecretSource secrets = new SecretSource(home);
        for (String name : List.of("manufacturer-ca", "distribution-ca", "publisher", "server-https", "server-channel")) {
            assertThat(Files.getPosixFilePermissions(secrets.file(name)))
                    .as(name).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
        for (Path store : List.of(pki.manufacturerCaStore(), pki.distributionCaStore(), pki.publisherStore(),
                pki.serverHttpsStore(), pki.serverChannelStore())) {
            assertThat(Files.getPosixFilePermissions(store)).as(store.toString())
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
        assertThat(Files.getPosixFilePermissions(home.pkiDir())).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(home.serverDir()))
                .isEqualTo(PosixFilePermissions.fromString("rwx------"));
        // no temporary files are left behind by the atomic writes
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void fingerprintsDifferPerCertificate() {
        DevelopmentPki pki = init();
        assertThat(Set.of(Fingerprints.sha256(pki.manufacturerCaCertificate()),
                Fingerprints.sha256(pki.distributionCaCertificate()), Fingerprints.sha256(pki.publisherCertificate())))
                .hasSize(3);
    }

    @Test
    void certificateAuthorityRefusesMismatchedKey() {
        DevelopmentPki pki = init();
        PrivateKey other = ec("secp256r1").getPrivate();
        assertThatThrownBy(() -> new CertificateAuthority(other, pki.distributionCaCertificate()))
                .isInstanceOf(PkiException.class).hasMessageContaining("does not match");
        assertThatCode(() -> CertificateAuthority.createRoot(new X500Name("CN=x"), ec("secp256r1"),
                Instant.now(), Instant.now().plusSeconds(60))).doesNotThrowAnyException();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    static void validate(X509Certificate leaf, X509Certificate anchor) throws Exception {
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
    }

    static KeyPair ec(String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static PKCS10CertificationRequest csr(KeyPair keys, String cn) throws Exception {
        PublicKey pub = keys.getPublic();
        String alg = pub.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + cn), pub)
                .build(new JcaContentSignerBuilder(alg).build(keys.getPrivate()));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
