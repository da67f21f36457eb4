package dev.progdist.protocol.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;

class CertificateProfileTest {

    @Test
    void deviceSubjectRoundTrips() throws Exception {
        X509Certificate cert = TestCertificates.selfSigned(CertificateProfile.deviceSubject("trp-7"),
                TestCertificates.ecKeyPair("secp256r1"));
        assertThat(cert.getSubjectX500Principal().getName())
                .isEqualTo("CN=trp-7,OU=TRP,O=progdist development manufacturer");
        assertThat(CertificateProfile.deviceIdOf(cert)).isEqualTo("trp-7");
    }

    @Test
    void nonDeviceSubjectsAreRefused() throws Exception {
        for (String subject : new String[] {
            "CN=trp-7",                                                   // no OU/O
            "CN=trp-7, OU=TRP, O=someone else",                           // other organisation
            "CN=progdist server",                                         // invalid device ID
            "CN=trp-7, CN=trp-8, OU=TRP, O=progdist development manufacturer", // two CNs
            "OU=TRP, O=progdist development manufacturer",                // no CN
            "CN=trp-7+UID=x, OU=TRP, O=progdist development manufacturer", // multi-valued
        }) {
            X509Certificate cert = TestCertificates.selfSigned(subject);
            assertThatThrownBy(() -> CertificateProfile.deviceIdOf(cert)).as(subject).isInstanceOf(PkiException.class);
        }
        assertThatThrownBy(() -> CertificateProfile.deviceSubject("a,b")).isInstanceOf(PkiException.class);
    }

    @Test
    void keyTypeParsing() {
        assertThat(KeyType.parse("ec")).isEqualTo(KeyType.EC_P256);
        assertThat(KeyType.parse("RSA")).isEqualTo(KeyType.RSA_3072);
        assertThat(KeyType.parse("ec_p256")).isEqualTo(KeyType.EC_P256);
        assertThatThrownBy(() -> KeyType.parse("dsa")).isInstanceOf(PkiException.class);
        assertThatThrownBy(() -> KeyType.parse(null)).isInstanceOf(PkiException.class);
        assertThat(KeyType.EC_P256.cliName()).isEqualTo("ec");
        assertThat(KeyType.RSA_3072.signatureAlgorithm()).isEqualTo("SHA256withRSA");
    }

    @Test
    void keyTypeOfAcceptsOnlyP256AndLargeRsa() throws Exception {
        assertThat(KeyType.of(TestCertificates.ecKeyPair("secp256r1").getPublic())).isEqualTo(KeyType.EC_P256);
        assertThatThrownBy(() -> KeyType.of(TestCertificates.ecKeyPair("secp384r1").getPublic()))
                .isInstanceOf(PkiException.class).hasMessageContaining("EC P-256");
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        assertThatThrownBy(() -> KeyType.of(rsa.generateKeyPair().getPublic()))
                .isInstanceOf(PkiException.class).hasMessageContaining("2048 bits");
        rsa.initialize(3072);
        assertThat(KeyType.of(rsa.generateKeyPair().getPublic())).isEqualTo(KeyType.RSA_3072);
        KeyPairGenerator ed = KeyPairGenerator.getInstance("Ed25519");
        assertThatThrownBy(() -> KeyType.of(ed.generateKeyPair().getPublic()))
                .isInstanceOf(PkiException.class).hasMessageContaining("unsupported key algorithm");
    }

    @Test
    void fingerprintIsLowercaseSha256OfDer() throws Exception {
        X509Certificate cert = TestCertificates.selfSigned("CN=a");
        String expected = HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        assertThat(Fingerprints.sha256(cert)).isEqualTo(expected).matches("[0-9a-f]{64}");
    }

    @Test
    void subjectPublicKeyInfoOfExplicitCurveIsRefused() throws Exception {
        // same key, but the curve given by explicit parameters instead of the P-256 OID
        java.security.interfaces.ECPublicKey key =
                (java.security.interfaces.ECPublicKey) TestCertificates.ecKeyPair("secp256r1").getPublic();
        SubjectPublicKeyInfo named = SubjectPublicKeyInfo.getInstance(key.getEncoded());
        org.bouncycastle.asn1.x9.X9ECParameters params =
                org.bouncycastle.asn1.x9.ECNamedCurveTable.getByName("secp256r1");
        SubjectPublicKeyInfo explicit = new SubjectPublicKeyInfo(
                new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                        org.bouncycastle.asn1.x9.X9ObjectIdentifiers.id_ecPublicKey,
                        new org.bouncycastle.asn1.x9.X962Parameters(params)),
                named.getPublicKeyData().getBytes());
        assertThat(KeyType.of(named)).isEqualTo(KeyType.EC_P256);
        assertThatThrownBy(() -> KeyType.of(explicit)).isInstanceOf(PkiException.class);
    }
}
