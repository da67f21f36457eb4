package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.keys.Signatures;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.InstallReceipt;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * camel/delivery/8-receipt-verification.camel.yaml: only a receipt naming this delivery and signed
 * with the key of the validated TRP certificate records the delivery as installed.
 */
class ReceiptVerificationRouteTest extends StageRouteTestSupport {

    @Override
    List<String> routeFiles() {
        return List.of("camel/delivery/8-receipt-verification.camel.yaml");
    }

    @BeforeEach
    void startContext() {
        start();
    }

    @Test
    void aReceiptSignedByTheEcDeviceRecordsTheInstall() throws Exception {
        installs(registered("trp-ec-1", ecKeys()));
    }

    @Test
    void aReceiptSignedByTheRsaDeviceRecordsTheInstall() throws Exception {
        installs(registered("trp-rsa-1", rsaKeys()));
    }

    void installs(TestDevice device) throws Exception {
        DeliveryContext sent = sentTo(device, publish("hello", "1.0", content(3000, 3), null), EnvelopeMode.WRAPPED);
        ChannelMessage.Receipt receipt = receipt(sent, sent.serverNonce(), device.keys().getPrivate());

        DeliveryContext installed = pass("receipt-verification", sent.receiving(receipt));

        assertThat(installed.stage()).isEqualTo(Stage.INSTALLED);
        assertThat(installed.finished()).isTrue();
        assertThat(installed.outgoing()).last().isInstanceOf(ChannelMessage.Close.class);
        var row = ledger.find(sent.deliveryId()).orElseThrow();
        assertThat(row.outcome()).isEqualTo("installed");
        assertThat(row.envelopeSha256()).isEqualTo(sent.envelopeSha256());
    }

    @Test
    void aForgedSignatureIsRefusedAndNothingIsInstalled() throws Exception {
        TestDevice device = registered("trp-ec-1", ecKeys());
        DeliveryContext sent = sentTo(device, publish("hello", "1.0", content(3000, 3), null), EnvelopeMode.WRAPPED);
        // the right fields, signed by a key that is not the certificate's
        ChannelMessage.Receipt forged = receipt(sent, sent.serverNonce(), ecKeys().getPrivate());

        assertThat(refusal("receipt-verification", sent.receiving(forged)).code())
                .isEqualTo(ChannelCode.RECEIPT_INVALID);
        assertThat(ledger.find(sent.deliveryId()).orElseThrow().outcome()).isEqualTo("sending");
    }

    @Test
    void aReceiptNamingAnotherNonceIsRefusedEvenWhenSignedByTheDevice() throws Exception {
        TestDevice device = registered("trp-ec-1", ecKeys());
        DeliveryContext sent = sentTo(device, publish("hello", "1.0", content(3000, 3), null), EnvelopeMode.DIRECT);
        ChannelMessage.Receipt replayed = receipt(sent, "another-delivery-nonce", device.keys().getPrivate());

        assertThat(refusal("receipt-verification", sent.receiving(replayed)).code())
                .isEqualTo(ChannelCode.RECEIPT_INVALID);
        assertThat(ledger.find(sent.deliveryId()).orElseThrow().outcome()).isEqualTo("sending");
    }

    @Test
    void aDeliveryAckInsteadOfAReceiptIsAProtocolViolation() {
        TestDevice device = registered("trp-ec-1", ecKeys());
        DeliveryContext sent = sentTo(device, publish("hello", "1.0", content(3000, 3), null), EnvelopeMode.WRAPPED);

        assertThat(refusal("receipt-verification", sent.receiving(new ChannelMessage.DeliveryAck(1))).code())
                .isEqualTo(ChannelCode.PROTOCOL_VIOLATION);
    }

    /** The TRP's Receipt for {@code sent}, naming {@code nonce}, signed with {@code key} as a TRP signs it. */
    static ChannelMessage.Receipt receipt(DeliveryContext sent, String nonce, PrivateKey key) throws Exception {
        ProgramCatalog.ProgramVersion program = sent.program();
        InstallReceipt signed = new InstallReceipt(sent.device().deviceId(), program.programId(), program.version(),
                program.sha256(), sent.envelopeSha256(), sent.device().sessionId(), nonce);
        Signature signature = Signature.getInstance(Signatures.algorithmFor(
                sent.device().certificate().getPublicKey()));
        signature.initSign(key);
        signature.update(signed.signedBytes());
        return new ChannelMessage.Receipt(program.programId(), program.version(), program.sha256(),
                sent.envelopeSha256(), nonce, Base64.getEncoder().encodeToString(signature.sign()));
    }
}
