package dev.progdist.processors.pki;

import dev.progdist.devpki.CertificateAuthority;
import dev.progdist.devpki.DevelopmentPki;
import static dev.progdist.processors.pki.PkiFixtures.csr;
import static dev.progdist.processors.pki.PkiFixtures.ec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.pki.DeviceCertificateException.Reason;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.PkiException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateException;
import java.security.cert.CertificateRevokedException;
import java.security.cert.CRLReason;
import java.security.cert.PKIXReason;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceCertificateValidatorTest {

    @TempDir
    Path dir;

    private Home home;
    private DevelopmentPki pki;
    private MutableClock clock;
    private DeviceCertificateValidator validator;

    @BeforeEach
    void setUp() {
        home = Home.at(dir.resolve("home"));
        pki = DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        clock = new MutableClock(Instant.now());
        validator = DeviceCertificateValidator.forHome(home, clock);
    }

    private X509Certificate device(String deviceId) {
        return pki.certifyDevice(deviceId, csr(ec()));
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    private void assertRefused(List<X509Certificate> chain, Reason reason) {
        assertThatThrownBy(() -> validator.validate(chain))
                .isInstanceOf(DeviceCertificateException.class)
                .isInstanceOf(CertificateException.class)
                .satisfies(e -> assertThat(((DeviceCertificateException) e).reason()).isEqualTo(reason));
    }

    // ---- accepted ----------------------------------------------------------------------------------

    @Test
    void acceptsEcDeviceCertificateAloneOrWithItsCa() throws Exception {
        X509Certificate cert = device("trp-0001");

        ValidatedDevice alone = validator.validate(List.of(cert));
        assertThat(alone.deviceId()).isEqualTo("trp-0001");
        assertThat(alone.fingerprint()).isEqualTo(Fingerprints.sha256(cert)).hasSize(64);
        assertThat(alone.certificate()).isEqualTo(cert);
        assertThat(alone.keyType()).isEqualTo(KeyType.EC_P256);

        assertThat(validator.validate(List.of(cert, pki.manufacturerCaCertificate()))).isEqualTo(alone);
    }

    @Test
    void acceptsRsaDeviceCertificate() throws Exception {
        X509Certificate cert = pki.certifyDevice("trp-rsa", csr(PkiFixtures.rsa3072()));
        ValidatedDevice device = validator.validate(List.of(cert, pki.manufacturerCaCertificate()));
        assertThat(device.deviceId()).isEqualTo("trp-rsa");
        assertThat(device.keyType()).isEqualTo(KeyType.RSA_3072);
        assertThat(device.fingerprint()).isEqualTo(Fingerprints.sha256(cert));
    }

    @Test
    void forHomeNeedsNoPrivateKeyOrPassword() throws Exception {
        X509Certificate cert = device("trp-0001");
        // the server host has only the public CA certificate and the CRL
        try (Stream<Path> files = Files.list(home.pkiDir())) {
            for (Path p : files.filter(p -> p.toString().endsWith(".p12")).toList()) {
                Files.delete(p);
            }
        }
        try (Stream<Path> files = Files.list(home.secretsDir())) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        DeviceCertificateValidator serverSide = DeviceCertificateValidator.forHome(home, clock);
        assertThat(serverSide.validate(List.of(cert)).deviceId()).isEqualTo("trp-0001");
        assertThat(serverSide.manufacturerCa()).isEqualTo(pki.manufacturerCaCertificate());
        assertThat(serverSide.crlFile()).isEqualTo(DevelopmentPki.crlFile(home));
    }

    // ---- untrusted ---------------------------------------------------------------------------------

    @Test
    void certificateOfAnotherManufacturerCaIsUntrusted() {
        // same CA name, different key: only the signature tells them apart
        DevelopmentPki other = DevelopmentPki.init(Home.at(dir.resolve("other")), DevelopmentPki.DEFAULT_SERVER_NAMES,
                false);
        X509Certificate foreign = other.certifyDevice("trp-0001", csr(ec()));
        assertThat(foreign.getIssuerX500Principal()).isEqualTo(pki.manufacturerCaCertificate().getSubjectX500Principal());

        assertRefused(List.of(foreign), Reason.CERT_UNTRUSTED);
        assertRefused(List.of(foreign, other.manufacturerCaCertificate()), Reason.CERT_UNTRUSTED);
        // sending our real CA along does not help
        assertRefused(List.of(foreign, pki.manufacturerCaCertificate()), Reason.CERT_UNTRUSTED);
    }

    @Test
    void aCertificateThatPassedIsRememberedByItsBytesNotByItsNames() throws Exception {
        X509Certificate genuine = device("trp-0001");
        assertThat(validator.validate(List.of(genuine)).deviceId()).isEqualTo("trp-0001");
        assertThat(validator.validate(List.of(genuine)).deviceId()).isEqualTo("trp-0001");

        // same device ID, same issuer name, same validator after a pass: the signature is still checked
        DevelopmentPki other = DevelopmentPki.init(Home.at(dir.resolve("other")), DevelopmentPki.DEFAULT_SERVER_NAMES,
                false);
        X509Certificate foreign = other.certifyDevice("trp-0001", csr(ec()));
        assertRefused(List.of(foreign), Reason.CERT_UNTRUSTED);
        assertRefused(List.of(foreign), Reason.CERT_UNTRUSTED);
        assertThat(validator.validate(List.of(genuine)).deviceId()).isEqualTo("trp-0001");
    }

    @Test
    void selfSignedDeviceCertificateIsUntrusted() {
        KeyPair keys = ec();
        X500Name subject = CertificateProfile.deviceSubject("trp-0001");
        Instant now = now();
        X509Certificate selfSigned = PkiFixtures.handMade(subject, keys.getPrivate(), subject, keys.getPublic(), false,
                now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)));
        assertRefused(List.of(selfSigned), Reason.CERT_UNTRUSTED);

        // naming the manufacturer CA as issuer without its key does not help either
        X500Name caName = X500Name.getInstance(pki.manufacturerCaCertificate().getSubjectX500Principal().getEncoded());
        X509Certificate forgedIssuer = PkiFixtures.handMade(caName, keys.getPrivate(), subject, keys.getPublic(), false,
                now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)));
        assertRefused(List.of(forgedIssuer, pki.manufacturerCaCertificate()), Reason.CERT_UNTRUSTED);
    }

    @Test
    void deviceProfileCertificateFromTheDistributionCaIsUntrusted() {
        CertificateAuthority distribution = PkiFixtures.distribution(home);
        Instant now = now();
        X509Certificate cert = distribution.issue(CertificateProfile.deviceSubject("trp-0001"), ec().getPublic(),
                now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)),
                KeyUsage.digitalSignature | KeyUsage.keyAgreement, List.of(KeyPurposeId.id_kp_clientAuth), null);
        assertRefused(List.of(cert), Reason.CERT_UNTRUSTED);
        assertRefused(List.of(cert, pki.distributionCaCertificate()), Reason.CERT_UNTRUSTED);
    }

    // ---- validity ----------------------------------------------------------------------------------

    @Test
    void expiredCertificateIsRefused() {
        X509Certificate old = pki.certifyDevice("trp-old", csr(ec()), Instant.parse("2020-01-01T00:00:00Z"),
                Instant.parse("2020-01-02T00:00:00Z"));
        assertRefused(List.of(old), Reason.CERT_EXPIRED);
    }

    @Test
    void certificateExpiresWhenTheClockPassesItsNotAfter() throws Exception {
        X509Certificate cert = pki.certifyDevice("trp-short", csr(ec()), Duration.ofDays(2));
        assertThat(validator.validate(List.of(cert)).deviceId()).isEqualTo("trp-short");

        clock.advance(Duration.ofDays(3)); // the CRL is still fresh: only the certificate has run out
        assertThatThrownBy(() -> validator.validate(List.of(cert)))
                .isInstanceOf(DeviceCertificateException.class)
                .hasMessageContaining("expired at " + cert.getNotAfter().toInstant())
                .extracting(e -> ((DeviceCertificateException) e).code()).isEqualTo("cert-expired");
    }

    @Test
    void notYetValidCertificateIsRefused() {
        Instant now = now();
        X509Certificate future = pki.certifyDevice("trp-future", csr(ec()), now.plus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(10)));
        assertRefused(List.of(future), Reason.CERT_NOT_YET_VALID);
    }

    // ---- key usage -------------------------------------------------------------------------------

    @Test
    void certificateWithoutDigitalSignatureIsRefused() {
        CertificateAuthority manufacturer = PkiFixtures.manufacturer(home);
        Instant now = now();
        X509Certificate keyCertSignOnly = manufacturer.issue(CertificateProfile.deviceSubject("trp-0001"),
                ec().getPublic(), now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)), KeyUsage.keyCertSign,
                List.of(KeyPurposeId.id_kp_clientAuth), null);
        assertRefused(List.of(keyCertSignOnly), Reason.CERT_KEY_USAGE);
    }

    @Test
    void certificateWithoutClientAuthIsRefused() {
        CertificateAuthority manufacturer = PkiFixtures.manufacturer(home);
        Instant now = now();
        X509Certificate serverAuth = manufacturer.issue(CertificateProfile.deviceSubject("trp-0001"), ec().getPublic(),
                now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)), KeyUsage.digitalSignature,
                List.of(KeyPurposeId.id_kp_serverAuth), null);
        X509Certificate noEku = manufacturer.issue(CertificateProfile.deviceSubject("trp-0002"), ec().getPublic(),
                now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)), KeyUsage.digitalSignature, List.of(),
                null);
        assertRefused(List.of(serverAuth), Reason.CERT_KEY_USAGE);
        assertRefused(List.of(noEku), Reason.CERT_KEY_USAGE);
    }

    @Test
    void caCertificatesAreNotDeviceCertificates() throws Exception {
        // a CA:true certificate with the device profile, signed by the manufacturer CA key
        java.security.PrivateKey caKey = PkiFixtures.caPrivateKey(home, DevelopmentPki.MANUFACTURER_CA_PASSWORD);
        X500Name caName = X500Name.getInstance(pki.manufacturerCaCertificate().getSubjectX500Principal().getEncoded());
        Instant now = now();
        X509Certificate deviceCa = PkiFixtures.handMade(caName, caKey, CertificateProfile.deviceSubject("trp-0001"),
                ec().getPublic(), true, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)));
        assertRefused(List.of(deviceCa), Reason.CERT_KEY_USAGE);
        // nor is the manufacturer CA itself
        assertRefused(List.of(pki.manufacturerCaCertificate()), Reason.CERT_KEY_USAGE);
    }

    // ---- profile -----------------------------------------------------------------------------------

    @Test
    void certificateOutsideTheDeviceProfileIsRefused() {
        CertificateAuthority manufacturer = PkiFixtures.manufacturer(home);
        Instant now = now();
        Instant from = now.minus(Duration.ofHours(1));
        Instant to = now.plus(Duration.ofDays(30));
        int usage = KeyUsage.digitalSignature;
        List<KeyPurposeId> clientAuth = List.of(KeyPurposeId.id_kp_clientAuth);

        X509Certificate serverName = manufacturer.issue(CertificateProfile.name("CN=progdist server"), ec().getPublic(),
                from, to, usage, clientAuth, null);
        X509Certificate wrongOu = manufacturer.issue(CertificateProfile.name("CN=trp-0001, OU=Server, O="
                + CertificateProfile.MANUFACTURER_ORGANIZATION), ec().getPublic(), from, to, usage, clientAuth, null);
        X509Certificate badId = manufacturer.issue(CertificateProfile.name("CN=-bad, OU=TRP, O="
                + CertificateProfile.MANUFACTURER_ORGANIZATION), ec().getPublic(), from, to, usage, clientAuth, null);
        X509Certificate p384 = manufacturer.issue(CertificateProfile.deviceSubject("trp-p384"), ec("secp384r1").getPublic(),
                from, to, usage, clientAuth, null);
        X509Certificate rsa2048 = manufacturer.issue(CertificateProfile.deviceSubject("trp-rsa2048"),
                PkiFixtures.rsa(2048).getPublic(), from, to, usage, clientAuth, null);

        for (X509Certificate cert : List.of(serverName, wrongOu, badId, p384, rsa2048)) {
            assertRefused(List.of(cert), Reason.CERT_PROFILE);
        }
    }

    // ---- malformed ---------------------------------------------------------------------------------

    @Test
    void missingOrEmptyChainsAreMalformed() {
        X509Certificate cert = device("trp-0001");
        assertRefused(null, Reason.CERT_MALFORMED);
        assertRefused(List.of(), Reason.CERT_MALFORMED);
        assertRefused(Arrays.asList((X509Certificate) null), Reason.CERT_MALFORMED);
        assertRefused(Arrays.asList(cert, null), Reason.CERT_MALFORMED);
        assertRefused(Collections.nCopies(DeviceCertificateValidator.MAX_CHAIN_LENGTH + 1, cert), Reason.CERT_MALFORMED);
    }

    @Test
    void validatorNeedsACaCertificate() {
        X509Certificate cert = device("trp-0001");
        assertThatThrownBy(() -> new DeviceCertificateValidator(cert, DevelopmentPki.crlFile(home), clock))
                .isInstanceOf(PkiException.class).hasMessageContaining("not a CA");
        assertThatThrownBy(() -> new DeviceCertificateValidator(null, DevelopmentPki.crlFile(home), clock))
                .isInstanceOf(PkiException.class);
        assertThatThrownBy(() -> DeviceCertificateValidator.forHome(Home.at(dir.resolve("nothing")), clock))
                .isInstanceOf(PkiException.class);
    }

    // ---- mapping of the JDK's PKIX results ---------------------------------------------------------

    @Test
    void pkixFailuresMapToPreciseReasons() {
        X509Certificate cert = device("trp-0001");
        String fp = Fingerprints.sha256(cert);
        CertificateRevokedException revoked = new CertificateRevokedException(new Date(0), CRLReason.KEY_COMPROMISE,
                new X500Principal("CN=x"), Map.of());

        Map<CertPathValidatorException, Reason> cases = new java.util.LinkedHashMap<>();
        cases.put(new CertPathValidatorException("r", revoked, null, -1, BasicReason.REVOKED), Reason.CERT_REVOKED);
        cases.put(new CertPathValidatorException("u", null, null, -1, BasicReason.UNDETERMINED_REVOCATION_STATUS),
                Reason.REVOCATION_UNAVAILABLE);
        cases.put(new CertPathValidatorException("e", null, null, -1, BasicReason.EXPIRED), Reason.CERT_EXPIRED);
        cases.put(new CertPathValidatorException("n", null, null, -1, BasicReason.NOT_YET_VALID),
                Reason.CERT_NOT_YET_VALID);
        cases.put(new CertPathValidatorException("s", null, null, -1, BasicReason.INVALID_SIGNATURE),
                Reason.CERT_UNTRUSTED);
        cases.put(new CertPathValidatorException("a", null, null, -1, BasicReason.ALGORITHM_CONSTRAINED),
                Reason.CERT_UNTRUSTED);
        cases.put(new CertPathValidatorException("t", null, null, -1, PKIXReason.NO_TRUST_ANCHOR),
                Reason.CERT_UNTRUSTED);
        cases.put(new CertPathValidatorException("k", null, null, -1, PKIXReason.INVALID_KEY_USAGE),
                Reason.CERT_KEY_USAGE);
        cases.put(new CertPathValidatorException("c", null, null, -1, PKIXReason.UNRECOGNIZED_CRIT_EXT),
                Reason.CERT_PROFILE);
        cases.put(new CertPathValidatorException("x"), Reason.CERT_UNTRUSTED);
        cases.put(new CertPathValidatorException("x", new java.security.cert.CertificateExpiredException()),
                Reason.CERT_EXPIRED);

        cases.forEach((e, reason) -> {
            DeviceCertificateException mapped = DeviceCertificateValidator.classify(e, cert, "trp-0001", fp);
            assertThat(mapped.reason()).as(e.getMessage() + " " + e.getReason()).isEqualTo(reason);
            assertThat(mapped.fingerprint()).contains(fp);
            assertThat(mapped.getCause()).isSameAs(e);
        });
        assertThat(DeviceCertificateValidator.classify(new CertPathValidatorException("r", revoked, null, -1,
                BasicReason.REVOKED), cert, "trp-0001", fp)).hasMessageContaining("KEY_COMPROMISE");
    }

    @Test
    void reasonCodesAreStable() {
        assertThat(Stream.of(Reason.values()).map(Reason::code)).containsExactly("cert-untrusted", "cert-expired",
                "cert-not-yet-valid", "cert-revoked", "cert-key-usage", "cert-profile", "revocation-unavailable",
                "cert-malformed");
    }

    // ---- trust manager -----------------------------------------------------------------------------

    @Test
    void trustManagerAcceptsDevicesAndReportsRefusals() throws Exception {
        X509Certificate good = device("trp-0001");
        X509Certificate old = pki.certifyDevice("trp-old", csr(ec()), Instant.parse("2020-01-01T00:00:00Z"),
                Instant.parse("2020-01-02T00:00:00Z"));
        List<DeviceCertificateException> refusals = new ArrayList<>();
        X509ExtendedTrustManager tm = validator.clientTrustManager(refusals::add);

        tm.checkClientTrusted(new X509Certificate[] {good, pki.manufacturerCaCertificate()}, "UNKNOWN", (SSLEngine) null);
        tm.checkClientTrusted(new X509Certificate[] {good}, "UNKNOWN");
        tm.checkClientTrusted(new X509Certificate[] {good}, "UNKNOWN", (java.net.Socket) null);
        assertThat(refusals).isEmpty();

        assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[] {old}, "UNKNOWN", (SSLEngine) null))
                .isInstanceOf(DeviceCertificateException.class)
                .satisfies(e -> assertThat(refusals).containsExactly((DeviceCertificateException) e));
        assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[0], "UNKNOWN", (SSLEngine) null))
                .isInstanceOf(DeviceCertificateException.class);
        assertThatThrownBy(() -> tm.checkClientTrusted(null, "UNKNOWN"))
                .isInstanceOf(DeviceCertificateException.class);
        assertThat(refusals).extracting(DeviceCertificateException::reason)
                .containsExactly(Reason.CERT_EXPIRED, Reason.CERT_MALFORMED, Reason.CERT_MALFORMED);

        assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {good}, "UNKNOWN", (SSLEngine) null))
                .isInstanceOf(CertificateException.class);
        assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {good}, "UNKNOWN"))
                .isInstanceOf(CertificateException.class);
        assertThat(tm.getAcceptedIssuers()).containsExactly(pki.manufacturerCaCertificate());
    }

    @Test
    void aFailingRefusalListenerDoesNotLetTheChainThrough() {
        X509Certificate old = pki.certifyDevice("trp-old", csr(ec()), Instant.parse("2020-01-01T00:00:00Z"),
                Instant.parse("2020-01-02T00:00:00Z"));
        X509ExtendedTrustManager tm = validator.clientTrustManager(e -> {
            throw new IllegalStateException("audit log down");
        });
        assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[] {old}, "UNKNOWN", (SSLEngine) null))
                .isInstanceOf(DeviceCertificateException.class)
                .satisfies(e -> assertThat(e.getSuppressed()).hasSize(1));
    }
}
