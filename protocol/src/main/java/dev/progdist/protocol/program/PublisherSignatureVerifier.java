package dev.progdist.protocol.program;

import dev.progdist.protocol.keys.InvalidSignatureException;
import dev.progdist.protocol.keys.Signatures;
import java.security.cert.X509Certificate;

/** Verifies program statements signed by the publisher. */
public interface PublisherSignatureVerifier {

    void verify(ProgramStatement statement, byte[] signature) throws InvalidSignatureException;

    static PublisherSignatureVerifier forPublisher(X509Certificate publisherCertificate) {
        return (statement, signature) -> Signatures.verifyWith(publisherCertificate.getPublicKey(),
                statement.signedBytes(), signature);
    }
}
