package dev.progdist.server;

import dev.progdist.processors.pki.CertificateValidation;
import dev.progdist.processors.pki.DeviceCertificateException;
import dev.progdist.processors.pki.ValidatedDevice;
import java.security.cert.X509Certificate;
import java.util.List;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.ProducerTemplate;

/**
 * Certificate validation as the server's trust manager runs it during a second-path handshake:
 * through the {@code certificate-validation} route, so the stage is a route like the others. A
 * refusal comes back as the validator's {@link DeviceCertificateException}; anything else that
 * fails is a refusal too (fail closed: {@code cert-malformed}).
 */
final class RoutedCertificateValidation implements CertificateValidation {

    static final String ENDPOINT = "direct:certificate-validation";

    private final ProducerTemplate template;

    RoutedCertificateValidation(ProducerTemplate template) {
        this.template = template;
    }

    @Override
    public ValidatedDevice validate(List<X509Certificate> chain) throws DeviceCertificateException {
        try {
            return template.requestBody(ENDPOINT, chain, ValidatedDevice.class);
        } catch (CamelExecutionException e) {
            if (e.getCause() instanceof DeviceCertificateException refused) {
                throw refused;
            }
            throw new DeviceCertificateException(DeviceCertificateException.Reason.CERT_MALFORMED,
                    "the certificate could not be processed");
        }
    }
}
