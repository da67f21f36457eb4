package dev.progdist.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.PkiException;
import dev.progdist.trp.TrpIdentityStore;
import java.nio.file.Path;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The whole manufacturing flow across the PKI (processors) and the TRP (trp-emulator). */
class ManufactureTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void manufactureCertifyInstallOpen(KeyType type) throws Exception {
        Home home = Home.at(dir);
        String device = "trp-" + type.cliName() + "-1";
        DevelopmentPki pki = DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);

        PKCS10CertificationRequest csr = TrpIdentityStore.manufacture(home, device, type, false);
        X509Certificate issued = DevelopmentPki.open(home).certifyDevice(device, csr);
        TrpIdentityStore.open(home, device).install(issued, pki.manufacturerCaCertificate(),
                pki.distributionCaCertificate());

        TrpIdentityStore trp = TrpIdentityStore.open(home, device);
        X509Certificate cert = trp.certificate();
        assertThat(cert).isEqualTo(issued);
        assertThat(trp.keyType()).isEqualTo(type);
        assertThat(CertificateProfile.deviceIdOf(cert)).isEqualTo(device);
        assertThat(cert.getSubjectX500Principal().getName())
                .isEqualTo("CN=" + device + ",OU=TRP,O=progdist development manufacturer");
        assertThat(trp.fingerprint()).isEqualTo(Fingerprints.sha256(cert));
        assertThat(trp.chain()).containsExactly(cert, pki.manufacturerCaCertificate());
        assertThat(trp.trustedDistributionCa()).isEqualTo(pki.distributionCaCertificate());

        validate(trp.chain(), pki.manufacturerCaCertificate());
        assertThatThrownBy(() -> validate(trp.chain(), pki.distributionCaCertificate()))
                .isInstanceOf(CertPathValidatorException.class);

        // what the TRP signs, the server verifies with the certified key
        byte[] receipt = ("receipt of " + device).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Signature verifier = Signature.getInstance(type.signatureAlgorithm());
        verifier.initVerify(cert.getPublicKey());
        verifier.update(receipt);
        assertThat(verifier.verify(trp.sign(receipt))).isTrue();
    }

    @Test
    void certificateFromAnotherPkiIsRefusedByTheTrp() {
        Home home = Home.at(dir.resolve("a"));
        Home other = Home.at(dir.resolve("b"));
        DevelopmentPki pki = DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        DevelopmentPki otherPki = DevelopmentPki.init(other, DevelopmentPki.DEFAULT_SERVER_NAMES, false);

        PKCS10CertificationRequest csr = TrpIdentityStore.manufacture(home, "dev", KeyType.EC_P256, false);
        X509Certificate fromOther = otherPki.certifyDevice("dev", csr);

        assertThatThrownBy(() -> TrpIdentityStore.open(home, "dev").install(fromOther,
                pki.manufacturerCaCertificate(), pki.distributionCaCertificate()))
                .isInstanceOf(PkiException.class).hasMessageContaining("manufacturer CA");
        assertThat(TrpIdentityStore.open(home, "dev").isProvisioned()).isFalse();
    }

    @Test
    void certificateForAnotherDeviceIdIsRefusedByTheTrp() {
        Home home = Home.at(dir);
        DevelopmentPki pki = DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        PKCS10CertificationRequest csr = TrpIdentityStore.manufacture(home, "dev-a", KeyType.EC_P256, false);
        X509Certificate misnamed = pki.certifyDevice("dev-b", csr);

        assertThatThrownBy(() -> TrpIdentityStore.open(home, "dev-a").install(misnamed,
                pki.manufacturerCaCertificate(), pki.distributionCaCertificate()))
                .isInstanceOf(PkiException.class).hasMessageContaining("another device");
    }

    private static void validate(List<X509Certificate> chain, X509Certificate anchor) throws Exception {
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
        params.setRevocationEnabled(false);
        // the path excludes the anchor itself, as a verifier receiving [leaf, CA] would build it
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(chain.subList(0, 1)), params);
    }
}
