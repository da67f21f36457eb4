package dev.progdist.processors.program;

import dev.progdist.protocol.keys.InvalidSignatureException;
import dev.progdist.protocol.keys.Signatures;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.program.PublisherSignatureVerifier;
import java.security.cert.X509Certificate;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;

/**
 * Step 2 of publishing (route {@code publish-program}): the publisher's signature over the
 * {@link ProgramStatement} that {@link ProgramAdministration#preparePublish} built, checked with the
 * key of the publisher certificate and the algorithm that key fixes ({@link PublisherSignatureVerifier}).
 * The route answers a failure with {@code publisher-signature-invalid}
 * ({@link ProgramAdministration#refuseSignature}).
 */
public class PublishSignatureCheck {

    private final PublisherSignatureVerifier verifier;

    public PublishSignatureCheck(X509Certificate publisherCertificate) {
        this.verifier = PublisherSignatureVerifier.forPublisher(publisherCertificate);
    }

    /**
     * @param statement what the publisher must have signed ({@value ProgramAdministration#STATEMENT})
     * @param signatureBase64 the signature as sent, base64 ({@value ProgramAdministration#SIGNATURE_HEADER})
     * @throws InvalidSignatureException if the signature is missing, malformed or does not verify
     */
    public void verify(@ExchangeProperty(ProgramAdministration.STATEMENT) ProgramStatement statement,
            @Header(ProgramAdministration.SIGNATURE_HEADER) String signatureBase64) throws InvalidSignatureException {
        verifier.verify(statement, Signatures.decodeBase64(signatureBase64));
    }
}
