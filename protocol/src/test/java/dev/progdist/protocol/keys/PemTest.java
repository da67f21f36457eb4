package dev.progdist.protocol.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {

    @TempDir
    Path dir;

    @Test
    void certificateAndChainRoundTrip() throws Exception {
        X509Certificate a = TestCertificates.selfSigned("CN=a");
        X509Certificate b = TestCertificates.selfSigned("CN=b");

        String pem = Pem.toPem(a);
        assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(Pem.certificateFromPem(pem)).isEqualTo(a);

        Path file = dir.resolve("chain.crt");
        Pem.writeCertificates(file, List.of(a, b));
        assertThat(Pem.readCertificates(file)).containsExactly(a, b);
        assertThatThrownBy(() -> Pem.readCertificate(file))
                .isInstanceOf(PkiException.class).hasMessageContaining("exactly one certificate");
    }

    @Test
    void csrRoundTrip() throws Exception {
        KeyPair keys = TestCertificates.ecKeyPair("secp256r1");
        PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=dev"),
                keys.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
        Path file = dir.resolve("dev.csr");
        Pem.writeCsr(file, csr);
        assertThat(Files.readString(file)).startsWith("-----BEGIN CERTIFICATE REQUEST-----");
        assertThat(Pem.readCsr(file)).isEqualTo(csr);
        assertThat(Pem.csrFromPem(Pem.toPem(csr)).getEncoded()).isEqualTo(csr.getEncoded());
    }

    @Test
    void garbageIsRefusedWithPkiException() throws Exception {
        X509Certificate cert = TestCertificates.selfSigned("CN=a");
        String valid = Pem.toPem(cert);
        String noBlock = "hello, this is not PEM";
        String badBase64 = "-----BEGIN CERTIFICATE-----\n!!!!not base64!!!!\n-----END CERTIFICATE-----\n";
        String unterminated = valid.substring(0, valid.indexOf("-----END"));
        String notDer = "-----BEGIN CERTIFICATE-----\n"
                + Base64.getEncoder().encodeToString("definitely not DER".getBytes(StandardCharsets.US_ASCII))
                + "\n-----END CERTIFICATE-----\n";
        String wrongType = valid.replace("CERTIFICATE", "PRIVATE KEY");

        for (String bad : List.of(noBlock, badBase64, unterminated, notDer, wrongType, "")) {
            assertThatThrownBy(() -> Pem.certificatesFromPem(bad)).as(bad).isInstanceOf(PkiException.class);
            assertThatThrownBy(() -> Pem.csrFromPem(bad)).as(bad).isInstanceOf(PkiException.class);
        }
        assertThatThrownBy(() -> Pem.certificatesFromPem(wrongType))
                .hasMessageContaining("unexpected PEM block 'PRIVATE KEY'");
        // a certificate is not a CSR
        assertThatThrownBy(() -> Pem.csrFromPem(valid)).isInstanceOf(PkiException.class);
        assertThatThrownBy(() -> Pem.readCertificate(dir.resolve("missing.crt")))
                .isInstanceOf(PkiException.class).hasMessageContaining("does not exist");
    }

    @Test
    void oversizedInputIsRefusedBeforeParsing() throws Exception {
        String valid = Pem.toPem(TestCertificates.selfSigned("CN=a"));
        String huge = valid + "x".repeat(Pem.MAX_BYTES);
        Path file = dir.resolve("huge.crt");
        Files.writeString(file, huge);
        assertThatThrownBy(() -> Pem.readCertificates(file))
                .isInstanceOf(PkiException.class).hasMessageContaining("larger than");
        assertThatThrownBy(() -> Pem.certificatesFromPem(huge))
                .isInstanceOf(PkiException.class).hasMessageContaining("larger than");
    }
}
