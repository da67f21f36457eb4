package dev.progdist.processors.delivery;

import dev.progdist.processors.channel.ServerChannel;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.envelope.EnvelopeException;
import dev.progdist.protocol.envelope.EnvelopeStream;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import org.apache.camel.Exchange;

/**
 * The program-encryption stage: opens the envelope stream over the program's blob (it encrypts
 * as it is read, so memory stays one chunk whatever the program's size), draws the fresh server
 * nonce the receipt must carry, marks the ledger row {@code sending} and queues DeliveryStart:
 * what is coming, its digest, the publisher's signature and certificate, and the nonce.
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

    public void encrypt(Exchange exchange) {
        DeliverySteps.stage(exchange, "program-encryption");
        ServerChannel channel = DeliverySteps.channel(exchange);
        ServerDelivery delivery = DeliverySteps.delivery(channel, ServerDelivery.Phase.REQUESTED);
        ProgramCatalog.ProgramVersion program = delivery.program();
        EnvelopeStream envelope;
        try {
            envelope = EnvelopeStream.open(delivery.keys(), catalog.blob(program));
        } catch (EnvelopeException e) {
            throw new DeliveryRefusal(e.code(), e.getMessage());
        }
        byte[] nonce = new byte[32];
        random.nextBytes(nonce);
        String serverNonce = Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);
        delivery.envelope(envelope, serverNonce);
        ledger.sending(delivery.deliveryId(), program.version(), delivery.mode().label(), program.sha256(),
                envelope.length(), serverNonce);
        channel.channel().send(new ChannelMessage.DeliveryStart(program.programId(), program.version(),
                delivery.mode().label(), program.size(), program.sha256(), envelope.length(),
                program.publisherSignature(), publisherCertificate, serverNonce));
    }
}
