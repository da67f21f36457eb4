package dev.progdist.processors.delivery;

import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.envelope.EnvelopeException;
import dev.progdist.protocol.envelope.EnvelopeSealer;
import dev.progdist.protocol.envelope.EnvelopeStream;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;

/**
 * Stage 6, program encryption: opens the envelope stream over the program's blob under the key
 * material of key wrapping (it encrypts as it is read, or for a wrapped rollout copies the release
 * encrypted once ({@link ReleaseCache}), so memory stays one chunk whatever the
 * program's size), draws the fresh server nonce the receipt must carry, marks the ledger row
 * {@code sending}, and returns DeliveryStart to be sent: what is coming, its digest, the
 * publisher's signature and certificate, and the nonce. Raises the envelope codes. Sealed.
 */
public class ProgramEncryption {

    private final ProgramCatalog catalog;
    private final DeliveryLedger ledger;
    private final String publisherCertificate;
    private final SecureRandom random = new SecureRandom();

    public ProgramEncryption(ProgramCatalog catalog, DeliveryLedger ledger, X509Certificate publisherCertificate) {
        this.catalog = catalog;
        this.ledger = ledger;
        try {
            this.publisherCertificate = Base64.getEncoder().encodeToString(publisherCertificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("unencodable publisher certificate", e);
        }
    }

    /** KEY_WRAPPED → ENCRYPTED, with DeliveryStart outgoing. */
    public DeliveryContext encrypt(DeliveryContext delivery) {
        delivery.require(Stage.KEY_WRAPPED);
        ProgramCatalog.ProgramVersion program = delivery.program();
        EnvelopeTransfer envelope;
        try {
            // a rollout's release: its ciphertext behind this device's header; else encrypt the blob now
            envelope = new EnvelopeTransfer(delivery.keyMaterial().ofRelease()
                    ? EnvelopeStream.ofRelease(delivery.keyMaterial())
                    : EnvelopeSealer.forMode(delivery.mode(), random).encrypt(delivery.keyMaterial(),
                            catalog.blob(program)));
        } catch (EnvelopeException e) {
            throw new DeliveryException(e.reason(), e.getMessage());
        }
        byte[] nonce = new byte[32];
        random.nextBytes(nonce);
        String serverNonce = Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);
        DeliveryContext next = delivery.encrypted(envelope, serverNonce, new ChannelMessage.DeliveryStart(
                program.programId(), program.version(), delivery.mode().label(), program.size(), program.sha256(),
                envelope.length(), program.publisherSignature(), publisherCertificate, serverNonce));
        try {
            ledger.sending(delivery.deliveryId(), program.version(), delivery.mode().label(), program.sha256(),
                    envelope.length(), serverNonce);
        } catch (RuntimeException e) {
            envelope.close();
            throw e;
        }
        return next;
    }
}
