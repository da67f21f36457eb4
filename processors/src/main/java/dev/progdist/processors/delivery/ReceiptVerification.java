package dev.progdist.processors.delivery;

import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.store.AuditTrail;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.keys.InvalidSignatureException;
import dev.progdist.protocol.keys.Signatures;
import dev.progdist.protocol.program.InstallReceipt;
import dev.progdist.protocol.program.ReceiptVerifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Stage 8, receipt verification. The TRP's Receipt must name exactly this delivery (program,
 * version, the plaintext digest the catalog holds, the envelope digest the server computed while
 * sending, the nonce drawn for this delivery); the signed {@link InstallReceipt} is rebuilt from the
 * server's own values, with the device from the validated certificate and this session's ID, and
 * its signature checked with the TRP certificate's key (the algorithm follows the key). Only then is
 * the delivery recorded as installed and the channel closed (Close outgoing). A mismatch or a bad
 * signature is {@code receipt-invalid}: nothing is recorded as installed without a valid receipt.
 * Sealed.
 */
public class ReceiptVerification {

    private final DeliveryLedger ledger;
    private final AuditTrail audit;

    public ReceiptVerification(DeliveryLedger ledger, AuditTrail audit) {
        this.ledger = ledger;
        this.audit = audit;
    }

    /** SENT (with the TRP's Receipt) → INSTALLED. */
    public DeliveryContext verify(DeliveryContext delivery) {
        delivery.require(Stage.SENT);
        ChannelMessage.Receipt receipt = delivery.received(ChannelMessage.Receipt.class);
        boolean matches = receipt.programId().equals(delivery.program().programId())
                & receipt.version().equals(delivery.program().version())
                & same(receipt.programSha256(), delivery.program().sha256())
                & same(receipt.envelopeSha256(), delivery.envelopeSha256())
                & same(receipt.serverNonce(), delivery.serverNonce());
        if (!matches) {
            throw new DeliveryException(ChannelCode.RECEIPT_INVALID, "the receipt does not describe this delivery");
        }
        DeviceSession device = delivery.device();
        InstallReceipt signed = new InstallReceipt(device.deviceId(), delivery.program().programId(),
                delivery.program().version(), delivery.program().sha256(), delivery.envelopeSha256(),
                device.sessionId(), delivery.serverNonce());
        try {
            ReceiptVerifier.forDevice(device.certificate()).verify(signed, Signatures.decodeBase64(receipt.signature()));
        } catch (InvalidSignatureException e) {
            throw new DeliveryException(ChannelCode.RECEIPT_INVALID,
                    "the receipt signature does not verify with the TRP certificate");
        }
        ledger.installed(delivery.deliveryId(), delivery.envelopeSha256(), receipt.signature());
        audit.record("program-installed", device.userId(), "device:" + device.deviceId(),
                delivery.program().programId() + " " + delivery.program().version() + " (" + delivery.mode().label()
                        + ")");
        return delivery.installed();
    }

    private static boolean same(String a, String b) {
        return b != null && MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }
}
