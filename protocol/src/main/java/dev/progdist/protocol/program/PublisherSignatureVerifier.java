package dev.progdist.protocol.program;

import dev.progdist.protocol.keys.InvalidSignatureException;
import dev.progdist.protocol.keys.Signatures;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * Checks the publisher's signature over a {@link ProgramStatement}: at publishing (the server), and
 * before installing (the TRP, over the statement built from what it decrypted).
 *
 * <p>Security guarantee: {@link #verify} returns normally only if {@code signature} is a valid
 * signature of exactly {@link ProgramStatement#signedBytes()} (program ID, version, SHA-256 and
 * size) by the key of the publisher certificate this verifier was made for, with the algorithm
 * that key's type fixes ({@link Signatures}). So a validly signed {@code 1.0} cannot pass as
 * {@code 2.0}, nor other bytes under the same name. Any other outcome throws
 * {@link InvalidSignatureException} with its one constant message. The verifier does not judge the
 * certificate (chain, code-signing EKU, validity): the caller has chosen it.
 */
@FunctionalInterface
public interface PublisherSignatureVerifier {

    /** @throws InvalidSignatureException unless {@code signature} is the publisher's signature of {@code statement} */
    void verify(ProgramStatement statement, byte[] signature) throws InvalidSignatureException;

    /**
     * The verifier for statements signed with the key of {@code publisherCertificate}, with the
     * algorithm of that key ({@link Signatures#algorithmFor(PublicKey)}).
     *
     * @throws IllegalArgumentException if the certificate's key is neither EC P-256 nor RSA
     */
    static PublisherSignatureVerifier forPublisher(X509Certificate publisherCertificate) {
        return forKey(Objects.requireNonNull(publisherCertificate, "publisherCertificate").getPublicKey());
    }

    /**
     * As {@link #forPublisher}, for a bare public key (a test fixture, or a caller that holds only
     * the key).
     *
     * @throws IllegalArgumentException if the key is neither EC P-256 nor RSA
     */
    static PublisherSignatureVerifier forKey(PublicKey publisherKey) {
        Objects.requireNonNull(publisherKey, "publisherKey");
        Signatures.algorithmFor(publisherKey); // refuse an unsupported key now, not at the first statement
        return (statement, signature) -> {
            if (statement == null) {
                throw new InvalidSignatureException();
            }
            Signatures.verify(publisherKey, statement.signedBytes(), signature);
        };
    }
}
