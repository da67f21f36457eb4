package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.pki.DeviceCertificateException;
import dev.progdist.processors.pki.ValidatedDevice;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.Fingerprints;
import java.security.cert.X509Certificate;
import java.util.List;
import org.apache.camel.CamelExecutionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * camel/second-path/2-certificate-validation.camel.yaml: the TRP's chain (leaf first) in, the
 * validated device out; a refusal goes back to the caller (the handshake) with its code.
 */
class CertificateValidationRouteTest extends StageRouteTestSupport {

    @Override
    List<String> routeFiles() {
        return List.of("camel/second-path/2-certificate-validation.camel.yaml");
    }

    @BeforeEach
    void startContext() {
        start();
    }

    @Test
    void aDeviceChainOfTheManufacturerCaIsTheValidatedDevice() {
        TestDevice device = manufacture("trp-ec-1", ecKeys());

        ValidatedDevice validated = validate(device.chain());

        assertThat(validated.deviceId()).isEqualTo("trp-ec-1");
        assertThat(validated.certificate()).isEqualTo(device.certificate());
        assertThat(validated.fingerprint()).isEqualTo(Fingerprints.sha256(device.certificate()));
    }

    @Test
    void anRsaDeviceChainIsValidatedToo() {
        TestDevice device = manufacture("trp-rsa-1", rsaKeys());

        assertThat(validate(List.of(device.certificate())).deviceId()).isEqualTo("trp-rsa-1");
    }

    @Test
    void aChainOfAnotherPkiIsUntrusted() {
        DevelopmentPki other = DevelopmentPki.init(Home.at(dir.resolve("other-home")),
                DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        X509Certificate foreign = other.certifyDevice("trp-ec-1", csr(ecKeys()));

        assertThat(refusal(List.of(foreign, other.manufacturerCaCertificate())).reason().code())
                .isEqualTo("cert-untrusted");
    }

    @Test
    void aRevokedDeviceCertificateIsRefusedCertRevoked() {
        TestDevice device = manufacture("trp-ec-1", ecKeys());
        pki.revokeDevice("trp-ec-1", "keyCompromise");

        assertThat(refusal(device.chain()).reason().code()).isEqualTo("cert-revoked");
    }

    ValidatedDevice validate(List<X509Certificate> chain) {
        return template.requestBody("direct:certificate-validation", chain, ValidatedDevice.class);
    }

    DeviceCertificateException refusal(List<X509Certificate> chain) {
        CamelExecutionException e = (CamelExecutionException) catchThrowable(() -> validate(chain));
        assertThat(e).isNotNull();
        assertThat(e.getCause()).isInstanceOf(DeviceCertificateException.class);
        return (DeviceCertificateException) e.getCause();
    }
}
