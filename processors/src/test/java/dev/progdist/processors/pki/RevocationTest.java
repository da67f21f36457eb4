package dev.progdist.processors.pki;

import dev.progdist.protocol.keys.Crls;
import dev.progdist.devpki.RevocationReason;
import dev.progdist.devpki.Revocation;
import dev.progdist.devpki.DevelopmentPki;
import static dev.progdist.processors.pki.PkiFixtures.csr;
import static dev.progdist.processors.pki.PkiFixtures.ec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.pki.DeviceCertificateException.Reason;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.Pem;
import dev.progdist.protocol.keys.PkiException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CRLReason;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevocationTest {

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

    private X509CRL crlOnDisk() throws Exception {
        return Crls.parse(Files.readAllBytes(DevelopmentPki.crlFile(home)));
    }

    private Reason refusal(X509Certificate cert) {
        try {
            validator.validate(List.of(cert));
        } catch (DeviceCertificateException e) {
            return e.reason();
        }
        return null;
    }

    // ---- the CRL and the index -----------------------------------------------------------------

    @Test
    void initIssuesAnEmptySignedCrl() throws Exception {
        Path file = DevelopmentPki.crlFile(home);
        assertThat(file).isEqualTo(home.pkiDir().resolve("manufacturer-ca.crl"));
        assertThat(Files.readString(file)).startsWith("-----BEGIN X509 CRL-----");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));

        X509CRL crl = crlOnDisk();
        X509Certificate ca = pki.manufacturerCaCertificate();
        crl.verify(ca.getPublicKey());
        assertThat(crl.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
        assertThat(crl.getRevokedCertificates()).isNull();
        assertThat(crl.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(crl.getVersion()).isEqualTo(2);
        assertThat(Crls.number(crl)).isEqualTo(BigInteger.ONE);
        assertThat(Duration.between(crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant()))
                .isEqualTo(DevelopmentPki.CRL_VALIDITY).isEqualTo(Duration.ofDays(30));
        assertThat(crl.getThisUpdate().toInstant()).isBetween(Instant.now().minusSeconds(60), Instant.now());

        byte[] aki = ASN1OctetString.getInstance(crl.getExtensionValue(Extension.authorityKeyIdentifier.getId()))
                .getOctets();
        byte[] ski = ASN1OctetString.getInstance(ca.getExtensionValue(Extension.subjectKeyIdentifier.getId()))
                .getOctets();
        assertThat(AuthorityKeyIdentifier.getInstance(aki).getKeyIdentifier())
                .isEqualTo(SubjectKeyIdentifier.getInstance(ski).getKeyIdentifier());
    }

    @Test
    void everyIssuedCertificateIsIndexed() throws Exception {
        X509Certificate first = device("trp-1");
        X509Certificate second = device("trp-1");
        X509Certificate other = device("trp-1-b"); // shares a prefix with trp-1

        Path indexed = DevelopmentPki.issuedDir(home).resolve("trp-1-" + first.getSerialNumber().toString(16) + ".crt");
        assertThat(indexed).isEqualTo(home.pkiDir().resolve("issued").resolve(indexed.getFileName()));
        assertThat(Pem.readCertificate(indexed)).isEqualTo(first);
        assertThat(pki.issuedCertificates("trp-1")).containsExactlyInAnyOrder(first, second);
        assertThat(pki.issuedCertificates("trp-1-b")).containsExactly(other);
        assertThat(pki.issuedCertificates("trp-2")).isEmpty();
        try (var files = Files.list(DevelopmentPki.issuedDir(home))) {
            assertThat(files).hasSize(3);
        }
    }

    @Test
    void crlNumbersGrowAndEveryCrlCarriesEveryRevocation() throws Exception {
        X509Certificate a = device("trp-a");
        X509Certificate b = device("trp-b");
        X509Certificate c = device("trp-c");

        X509CRL afterA = pki.revokeDevice("trp-a", "keyCompromise");
        X509CRL afterB = pki.revokeDevice("trp-b", "cessationOfOperation");
        X509CRL reissued = pki.issueCrl();

        assertThat(List.of(Crls.number(afterA), Crls.number(afterB), Crls.number(reissued)))
                .containsExactly(BigInteger.valueOf(2), BigInteger.valueOf(3), BigInteger.valueOf(4));
        assertThat(reissued).isEqualTo(crlOnDisk());
        for (X509CRL crl : List.of(afterB, reissued)) {
            assertThat(crl.isRevoked(a)).isTrue();
            assertThat(crl.isRevoked(b)).isTrue();
            assertThat(crl.isRevoked(c)).isFalse();
            assertThat(crl.getRevokedCertificate(a).getRevocationReason()).isEqualTo(CRLReason.KEY_COMPROMISE);
            assertThat(crl.getRevokedCertificate(b).getRevocationReason()).isEqualTo(CRLReason.CESSATION_OF_OPERATION);
            crl.verify(pki.manufacturerCaCertificate().getPublicKey());
        }
        assertThat(afterA.isRevoked(b)).isFalse();
        assertThat(pki.revocations()).extracting(Revocation::serial)
                .containsExactly(a.getSerialNumber(), b.getSerialNumber());

        List<String> lines = Files.readAllLines(DevelopmentPki.revokedList(home)).stream()
                .filter(l -> !l.startsWith("#")).toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches(a.getSerialNumber().toString(16) + " 1 \\d+ trp-a");
        assertThat(lines.get(1)).matches(b.getSerialNumber().toString(16) + " 5 \\d+ trp-b");
    }

    @Test
    void revokingRevokesEveryUnexpiredCertificateOfTheDeviceOnly() throws Exception {
        X509Certificate first = device("trp-1");
        X509Certificate second = pki.certifyDevice("trp-1", csr(ec()), Duration.ofDays(1));
        X509Certificate expired = pki.certifyDevice("trp-1", csr(ec()), Instant.parse("2020-01-01T00:00:00Z"),
                Instant.parse("2020-01-02T00:00:00Z"));
        X509Certificate prefixNeighbour = device("trp-1-b");

        X509CRL crl = pki.revokeDevice("trp-1", (String) null);

        assertThat(crl.getRevokedCertificates()).extracting(X509CRLEntry::getSerialNumber)
                .containsExactlyInAnyOrder(first.getSerialNumber(), second.getSerialNumber());
        assertThat(crl.isRevoked(expired)).isFalse();
        assertThat(crl.isRevoked(prefixNeighbour)).isFalse();
        // unspecified is written without a reasonCode extension (RFC 5280 5.3.1)
        assertThat(crl.getRevokedCertificate(first).getRevocationReason()).isNull();
        assertThat(crl.getRevokedCertificate(first).hasExtensions()).isFalse();

        // revoking again adds nothing and keeps the first reason
        X509CRL again = pki.revokeDevice("trp-1", RevocationReason.KEY_COMPROMISE);
        assertThat(again.getRevokedCertificates()).hasSize(2);
        assertThat(again.getRevokedCertificate(first).getRevocationReason()).isNull();
        assertThat(pki.revocations()).hasSize(2);
    }

    @Test
    void revokingAnUnknownDeviceOrWithAnUnknownReasonFails() throws Exception {
        device("trp-1");
        assertThatThrownBy(() -> pki.revokeDevice("trp-2", "keyCompromise"))
                .isInstanceOf(PkiException.class).hasMessage("no certificate was issued for device trp-2");
        assertThatThrownBy(() -> pki.revokeDevice("trp-1", "because"))
                .isInstanceOf(PkiException.class).hasMessageContaining("keyCompromise");
        assertThatThrownBy(() -> pki.revokeDevice("../x", "keyCompromise"))
                .isInstanceOf(PkiException.class).hasMessageContaining("invalid device ID");
        pki.certifyDevice("trp-old", csr(ec()), Instant.parse("2020-01-01T00:00:00Z"),
                Instant.parse("2020-01-02T00:00:00Z"));
        assertThatThrownBy(() -> pki.revokeDevice("trp-old", "keyCompromise"))
                .isInstanceOf(PkiException.class).hasMessageContaining("expired");
        // nothing was revoked, no CRL was issued
        assertThat(pki.revocations()).isEmpty();
        assertThat(Crls.number(crlOnDisk())).isEqualTo(BigInteger.ONE);
    }

    @Test
    void reasonsParseFromTheirRfcNames() {
        assertThat(RevocationReason.parse("keyCompromise")).isEqualTo(RevocationReason.KEY_COMPROMISE);
        assertThat(RevocationReason.parse("KEY_COMPROMISE")).isEqualTo(RevocationReason.KEY_COMPROMISE);
        assertThat(RevocationReason.parse("cessation-of-operation")).isEqualTo(RevocationReason.CESSATION_OF_OPERATION);
        assertThat(RevocationReason.parse(" ")).isEqualTo(RevocationReason.UNSPECIFIED);
        assertThat(RevocationReason.parse("unspecified").code()).isZero();
        assertThat(RevocationReason.KEY_COMPROMISE.code()).isEqualTo(1);
        assertThat(RevocationReason.CESSATION_OF_OPERATION.code()).isEqualTo(5);
        assertThatThrownBy(() -> RevocationReason.parse("superseded")).isInstanceOf(PkiException.class);
    }

    @Test
    void damagedRevocationListStopsCrlIssuance() throws Exception {
        device("trp-1");
        pki.revokeDevice("trp-1", "keyCompromise");
        Files.writeString(DevelopmentPki.revokedList(home), "zz not-a-number\n", StandardOpenOption.APPEND);
        byte[] before = Files.readAllBytes(DevelopmentPki.crlFile(home));
        assertThatThrownBy(() -> pki.issueCrl()).isInstanceOf(PkiException.class).hasMessageContaining("malformed");
        assertThat(Files.readAllBytes(DevelopmentPki.crlFile(home))).isEqualTo(before);
    }

    @Test
    void initWithForceStartsWithoutRevocations() throws Exception {
        device("trp-1");
        pki.revokeDevice("trp-1", "keyCompromise");
        DevelopmentPki replaced = DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, true);
        assertThat(replaced.revocations()).isEmpty();
        assertThat(replaced.issuedCertificates("trp-1")).isEmpty();
        X509CRL crl = crlOnDisk();
        crl.verify(replaced.manufacturerCaCertificate().getPublicKey());
        assertThat(crl.getRevokedCertificates()).isNull();
    }

    // ---- the validator sees revocations --------------------------------------------------------

    @Test
    void revokedCertificateIsRefusedBySameValidatorAndOthersAreNot() throws Exception {
        X509Certificate victim = device("trp-1");
        X509Certificate bystander = device("trp-2");
        assertThat(validator.validate(List.of(victim)).deviceId()).isEqualTo("trp-1");

        pki.revokeDevice("trp-1", "keyCompromise");

        assertThatThrownBy(() -> validator.validate(List.of(victim, pki.manufacturerCaCertificate())))
                .isInstanceOf(DeviceCertificateException.class)
                .hasMessageContaining("trp-1").hasMessageContaining("revoked").hasMessageContaining("KEY_COMPROMISE")
                .extracting(e -> ((DeviceCertificateException) e).reason()).isEqualTo(Reason.CERT_REVOKED);
        assertThat(validator.validate(List.of(bystander)).deviceId()).isEqualTo("trp-2");

        // a new certificate for the same device after the revocation is good
        X509Certificate replacement = device("trp-1");
        assertThat(validator.validate(List.of(replacement)).deviceId()).isEqualTo("trp-1");
        assertThat(refusal(victim)).isEqualTo(Reason.CERT_REVOKED);
    }

    @Test
    void missingCrlFailsClosedAndReissuingRecovers() throws Exception {
        X509Certificate cert = device("trp-1");
        Files.delete(DevelopmentPki.crlFile(home));
        assertThatThrownBy(() -> validator.validate(List.of(cert)))
                .isInstanceOf(DeviceCertificateException.class).hasMessageContaining("does not exist")
                .extracting(e -> ((DeviceCertificateException) e).reason()).isEqualTo(Reason.REVOCATION_UNAVAILABLE);

        pki.issueCrl();
        assertThat(validator.validate(List.of(cert)).deviceId()).isEqualTo("trp-1");
    }

    @Test
    void tamperedCrlFailsClosed() throws Exception {
        X509Certificate cert = device("trp-1");
        X509CRL crl = crlOnDisk();
        byte[] der = crl.getEncoded();
        // the last byte of the signed part is the CRL number (1): 0 still parses, but the signature no longer matches
        int signedByte = indexOf(der, crl.getTBSCertList()) + crl.getTBSCertList().length - 1;
        assertThat(der[signedByte]).isEqualTo((byte) 1);
        der[signedByte] ^= 0x01;
        assertThat(Crls.number(Crls.parse(der))).isZero();
        writePemCrl(der);
        assertThatThrownBy(() -> validator.validate(List.of(cert)))
                .isInstanceOf(DeviceCertificateException.class).hasMessageContaining("not signed by")
                .extracting(e -> ((DeviceCertificateException) e).reason()).isEqualTo(Reason.REVOCATION_UNAVAILABLE);

        Files.writeString(DevelopmentPki.crlFile(home), "not a CRL at all");
        assertThat(refusal(cert)).isEqualTo(Reason.REVOCATION_UNAVAILABLE);

        Files.write(DevelopmentPki.crlFile(home), new byte[0]);
        assertThat(refusal(cert)).isEqualTo(Reason.REVOCATION_UNAVAILABLE);
    }

    @Test
    void crlOfAnotherCaFailsClosed() throws Exception {
        X509Certificate cert = device("trp-1");

        // another manufacturer CA of the same name: the CRL parses and names our CA, but its key signed it
        DevelopmentPki other = DevelopmentPki.init(Home.at(dir.resolve("other")), DevelopmentPki.DEFAULT_SERVER_NAMES,
                false);
        Files.copy(DevelopmentPki.crlFile(other.home()), DevelopmentPki.crlFile(home),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> validator.validate(List.of(cert)))
                .isInstanceOf(DeviceCertificateException.class).hasMessageContaining("not signed by")
                .extracting(e -> ((DeviceCertificateException) e).reason()).isEqualTo(Reason.REVOCATION_UNAVAILABLE);

        // our distribution CA's CRL is not the manufacturer's either
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        X509CRL distributionCrl = PkiFixtures.distribution(home).issueCrl(BigInteger.TEN, now,
                now.plus(Duration.ofDays(30)), List.of());
        Files.writeString(DevelopmentPki.crlFile(home), Crls.toPem(distributionCrl));
        assertThat(refusal(cert)).isEqualTo(Reason.REVOCATION_UNAVAILABLE);
    }

    @Test
    void staleCrlFailsClosed() throws Exception {
        X509Certificate cert = device("trp-1");
        clock.advance(Duration.ofDays(29));
        assertThat(validator.validate(List.of(cert)).deviceId()).isEqualTo("trp-1");

        clock.advance(Duration.ofDays(2)); // 31 days: past nextUpdate, the certificate itself is still valid
        assertThatThrownBy(() -> validator.validate(List.of(cert)))
                .isInstanceOf(DeviceCertificateException.class).hasMessageContaining("pki crl")
                .extracting(e -> ((DeviceCertificateException) e).reason()).isEqualTo(Reason.REVOCATION_UNAVAILABLE);
    }

    @Test
    void crlFromTheFutureFailsClosed() throws Exception {
        X509Certificate cert = device("trp-1");
        Instant later = clock.instant().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        X509CRL early = PkiFixtures.manufacturer(home).issueCrl(BigInteger.valueOf(99), later,
                later.plus(Duration.ofDays(30)), List.of());
        Files.writeString(DevelopmentPki.crlFile(home), Crls.toPem(early));
        assertThatThrownBy(() -> validator.validate(List.of(cert)))
                .isInstanceOf(DeviceCertificateException.class).hasMessageContaining("valid only from")
                .extracting(e -> ((DeviceCertificateException) e).reason()).isEqualTo(Reason.REVOCATION_UNAVAILABLE);
    }

    @Test
    void crlIsParsedAgainOnlyWhenTheFileChanges() throws Exception {
        X509Certificate cert = device("trp-1");
        Path file = DevelopmentPki.crlFile(home);
        assertThat(validator.validate(List.of(cert)).deviceId()).isEqualTo("trp-1"); // parsed and cached

        // same file (inode), same size, same modification time, different bytes: the cached CRL stays in use
        FileTime modified = Files.getLastModifiedTime(file);
        byte[] garbage = new byte[(int) Files.size(file)];
        java.util.Arrays.fill(garbage, (byte) 'x');
        Files.write(file, garbage, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        Files.setLastModifiedTime(file, modified);
        assertThat(validator.validate(List.of(cert)).deviceId()).isEqualTo("trp-1");

        // once the modification time moves, the file is read again
        Files.setLastModifiedTime(file, FileTime.from(modified.toInstant().plusSeconds(1)));
        assertThat(refusal(cert)).isEqualTo(Reason.REVOCATION_UNAVAILABLE);
    }

    @Test
    void concurrentValidationsSeeEitherTheOldOrTheNewCrl() throws Exception {
        X509Certificate victim = device("trp-1");
        X509Certificate bystander = device("trp-2");
        AtomicBoolean revoked = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    List<String> problems = new ArrayList<>();
                    int afterwards = 0;
                    // keep validating until well after the revocation (or until the test gives up on us)
                    while (afterwards < 50 && !Thread.currentThread().isInterrupted()) {
                        boolean afterRevocation = revoked.get();
                        if (afterRevocation) {
                            afterwards++;
                        }
                        Reason victimResult = refusal(victim);
                        Reason bystanderResult = refusal(bystander);
                        if (bystanderResult != null) {
                            problems.add("bystander refused: " + bystanderResult);
                        }
                        if (victimResult != null && victimResult != Reason.CERT_REVOKED) {
                            problems.add("victim refused for " + victimResult);
                        }
                        if (afterRevocation && victimResult == null) {
                            problems.add("victim accepted after the revocation");
                        }
                    }
                    return problems;
                }));
            }
            pki.revokeDevice("trp-1", "keyCompromise");
            revoked.set(true);
            for (Future<List<String>> result : results) {
                assertThat(result.get(60, TimeUnit.SECONDS)).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(refusal(victim)).isEqualTo(Reason.CERT_REVOKED);
    }

    // ---- what the JDK itself reports (the validator's mapping relies on it) --------------------

    @Test
    void jdkPkixReportsRevocationAndMissingCrlAsExpected() throws Exception {
        X509Certificate cert = device("trp-1");
        pki.revokeDevice("trp-1", "keyCompromise");
        X509CRL crl = crlOnDisk();

        Date afterRevocation = Date.from(crl.getThisUpdate().toInstant().plusSeconds(1));
        assertThat(jdkFailure(cert, List.of(crl), afterRevocation).getReason()).isEqualTo(BasicReason.REVOKED);
        assertThat(jdkFailure(cert, List.of(crl), afterRevocation).getCause())
                .isInstanceOf(java.security.cert.CertificateRevokedException.class);
        assertThat(jdkFailure(cert, List.of(), afterRevocation).getReason())
                .isEqualTo(BasicReason.UNDETERMINED_REVOCATION_STATUS);
        Date stale = Date.from(crl.getNextUpdate().toInstant().plus(Duration.ofDays(1)));
        assertThat(jdkFailure(cert, List.of(crl), stale).getReason())
                .isEqualTo(BasicReason.UNDETERMINED_REVOCATION_STATUS);
        // the JDK ignores an entry whose revocation date is after the validation time...
        Date beforeRevocation = Date.from(crl.getRevokedCertificate(cert).getRevocationDate().toInstant()
                .minusSeconds(60));
        assertThat(jdkValidate(cert, List.of(crl), beforeRevocation)).isNull();
    }

    @Test
    void revocationDatedInTheFutureStillRevokes() throws Exception {
        // ...so a CA host whose clock is ahead of the server's must not open a window: listed is revoked
        X509Certificate cert = device("trp-1");
        pki.revokeDevice("trp-1", "keyCompromise");
        X509CRL crl = crlOnDisk();
        Instant revokedAt = crl.getRevokedCertificate(cert).getRevocationDate().toInstant();
        MutableClock behind = new MutableClock(revokedAt.minusSeconds(60));
        DeviceCertificateValidator serverBehind = DeviceCertificateValidator.forHome(home, behind);
        assertThatThrownBy(() -> serverBehind.validate(List.of(cert)))
                .isInstanceOf(DeviceCertificateException.class)
                .extracting(e -> ((DeviceCertificateException) e).reason()).isEqualTo(Reason.CERT_REVOKED);
    }

    private CertPathValidatorException jdkFailure(X509Certificate cert, List<X509CRL> crls, Date at) throws Exception {
        CertPathValidatorException e = jdkValidate(cert, crls, at);
        if (e == null) {
            throw new AssertionError("the JDK accepted the certificate");
        }
        return e;
    }

    /** The JDK's PKIX verdict with exactly these CRLs: null if it accepts. */
    private CertPathValidatorException jdkValidate(X509Certificate cert, List<X509CRL> crls, Date at) throws Exception {
        CertPathValidator validator = CertPathValidator.getInstance("PKIX");
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(pki.manufacturerCaCertificate(), null)));
        params.setDate(at);
        params.setCertStores(List.of(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls))));
        PKIXRevocationChecker checker = (PKIXRevocationChecker) validator.getRevocationChecker();
        checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK));
        params.addCertPathChecker(checker);
        try {
            validator.validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert)), params);
            return null;
        } catch (CertPathValidatorException e) {
            return e;
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private void writePemCrl(byte[] der) throws Exception {
        String pem = "-----BEGIN X509 CRL-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END X509 CRL-----\n";
        Files.writeString(DevelopmentPki.crlFile(home), pem);
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
