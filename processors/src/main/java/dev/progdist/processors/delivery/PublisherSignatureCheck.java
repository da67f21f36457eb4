package dev.progdist.processors.delivery;

import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.InvalidSignatureException;
import dev.progdist.protocol.keys.Signatures;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.program.PublisherSignatureVerifier;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stage 4, publisher-signature check: the catalog's stored publisher signature must verify over
 * the program statement (ID, version, SHA-256, size) with the publisher certificate the server was
 * started with, before any key is made. It was checked at upload; checking again here means a
 * database row altered since cannot make the server deliver a program nobody signed. Raises
 * {@code publisher-signature-invalid}. Sealed.
 *
 * <p>A rollout delivers one version to many devices, so the statement and signature that verified
 * are remembered (at most {@link #REMEMBERED} pairs, by their exact bytes) and not verified again:
 * an altered row has other bytes and is verified, and refused. A refusal is never remembered.
 */
public class PublisherSignatureCheck {

    /** Statement and signature pairs remembered as verified; emptied when full. */
    static final int REMEMBERED = 1024;

    private final PublisherSignatureVerifier verifier;
    private final Set<String> verified = ConcurrentHashMap.newKeySet();

    public PublisherSignatureCheck(PublisherSignatureVerifier verifier) {
        this.verifier = verifier;
    }

    /** RESOLVED → SIGNATURE_VERIFIED. */
    public DeliveryContext verify(DeliveryContext delivery) {
        delivery.require(Stage.RESOLVED);
        ProgramStatement statement = delivery.program().statement();
        String signature = delivery.program().publisherSignature();
        String pair = Fingerprints.sha256(statement.signedBytes()) + ' ' + signature;
        if (verified.contains(pair)) {
            return delivery.at(Stage.SIGNATURE_VERIFIED);
        }
        try {
            verifier.verify(statement, Signatures.decodeBase64(signature));
            if (verified.size() >= REMEMBERED) {
                verified.clear();
            }
            verified.add(pair);
        } catch (InvalidSignatureException e) {
            throw new DeliveryException(ChannelCode.PUBLISHER_SIGNATURE_INVALID,
                    "the stored publisher signature does not verify: the program is not delivered");
        }
        return delivery.at(Stage.SIGNATURE_VERIFIED);
    }
}
