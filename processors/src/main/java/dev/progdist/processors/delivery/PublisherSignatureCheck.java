package dev.progdist.processors.delivery;

import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.keys.InvalidSignatureException;
import dev.progdist.protocol.keys.Signatures;
import dev.progdist.protocol.program.PublisherSignatureVerifier;

/**
 * Stage 4, publisher-signature check: the catalog's stored publisher signature must verify over
 * the program statement (ID, version, SHA-256, size) with the publisher certificate the server was
 * started with, before any key is made. It was checked at upload; checking again here means a
 * database row altered since cannot make the server deliver a program nobody signed. Raises
 * {@code publisher-signature-invalid}. Sealed.
 */
public class PublisherSignatureCheck {

    private final PublisherSignatureVerifier verifier;

    public PublisherSignatureCheck(PublisherSignatureVerifier verifier) {
        this.verifier = verifier;
    }

    /** RESOLVED → SIGNATURE_VERIFIED. */
    public DeliveryContext verify(DeliveryContext delivery) {
        delivery.require(Stage.RESOLVED);
        try {
            verifier.verify(delivery.program().statement(),
                    Signatures.decodeBase64(delivery.program().publisherSignature()));
        } catch (InvalidSignatureException e) {
            throw new DeliveryException(ChannelCode.PUBLISHER_SIGNATURE_INVALID,
                    "the stored publisher signature does not verify: the program is not delivered");
        }
        return delivery.at(Stage.SIGNATURE_VERIFIED);
    }
}
