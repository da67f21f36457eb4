package dev.progdist.processors.delivery;

import dev.progdist.processors.channel.ServerChannel;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.store.AuditTrail;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.program.InstallReceipt;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import org.apache.camel.Exchange;

/**
 * The receipt-verification stage. {@link #prepare} checks that the TRP's Receipt names exactly
 * this delivery (program, version, the plaintext digest the catalog holds, the envelope digest the
 * server computed while sending, the nonce drawn for this delivery) and rebuilds the signed
 * {@link InstallReceipt} from the server's own values, with the device from the validated
 * certificate and this session's ID. The route's {@code crypto:verify} step then checks the
 * signature against the TRP certificate, and {@link #accept} records the install and ends the
 * conversation. A mismatch or a bad signature is {@code receipt-invalid}: nothing is recorded as
 * installed without a valid receipt.
 */
public class ReceiptVerification {

    /** Exchange property: {@code ec} or {@code rsa}, which verify endpoint the route uses. */
    public static final String KEY_ALGORITHM = "progdistReceiptKey";

    private final DeliveryLedger ledger;
    private final AuditTrail audit;

    public ReceiptVerification(DeliveryLedger ledger, AuditTrail audit) {
        this.ledger = ledger;
        this.audit = audit;
    }

    public void prepare(Exchange exchange) {
        DeliverySteps.stage(exchange, "receipt-verification");
        ServerChannel channel = DeliverySteps.channel(exchange);
        ServerDelivery delivery = DeliverySteps.delivery(channel, ServerDelivery.Phase.SENT);
        ChannelMessage.Receipt receipt = DeliverySteps.message(exchange, ChannelMessage.Receipt.class);
        boolean matches = receipt.programId().equals(delivery.program().programId())
                & receipt.version().equals(delivery.program().version())
                & same(receipt.programSha256(), delivery.program().sha256())
                & same(receipt.envelopeSha256(), delivery.envelopeSha256())
                & same(receipt.serverNonce(), delivery.serverNonce());
        if (!matches) {
            throw new DeliveryRefusal("receipt-invalid", "the receipt does not describe this delivery");
        }
        InstallReceipt signed = new InstallReceipt(channel.deviceId(), delivery.program().programId(),
                delivery.program().version(), delivery.program().sha256(), delivery.envelopeSha256(),
                channel.sessionId(), delivery.serverNonce());
        X509Certificate cert = channel.peerCertificate();
        exchange.getMessage().setBody(signed.signedBytes());
        exchange.getMessage().setHeader("CamelDigitalSignature", receipt.signature());
        exchange.getMessage().setHeader("CamelSignaturePublicKeyOrCert", cert);
        exchange.setProperty(KEY_ALGORITHM, cert.getPublicKey() instanceof ECPublicKey ? "ec" : "rsa");
        DeliverySteps.stage(exchange, DeliverySteps.RECEIPT_SIGNATURE);
    }

    public void accept(Exchange exchange) {
        ServerChannel channel = DeliverySteps.channel(exchange);
        ServerDelivery delivery = DeliverySteps.delivery(channel, ServerDelivery.Phase.SENT);
        ChannelMessage.Receipt receipt = DeliverySteps.message(exchange, ChannelMessage.Receipt.class);
        ledger.installed(delivery.deliveryId(), delivery.envelopeSha256(), receipt.signature());
        delivery.done();
        audit.record("program-installed", channel.userId(), "device:" + channel.deviceId(),
                delivery.program().programId() + " " + delivery.program().version() + " (" + delivery.mode().label() + ")");
        channel.channel().send(new ChannelMessage.Close());
        channel.tls().close();
    }

    private static boolean same(String a, String b) {
        return b != null && MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }
}
