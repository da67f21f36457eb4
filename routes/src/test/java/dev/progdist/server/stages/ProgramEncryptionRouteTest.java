package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.delivery.KeyWrapping;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.envelope.EnvelopeOpener;
import dev.progdist.protocol.envelope.OpenedEnvelope;
import dev.progdist.protocol.program.EnvelopeMode;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * camel/delivery/6-program-encryption.camel.yaml, with 7-transmit to carry the envelope out: the
 * envelope over a small blob from the real catalog, under the key material of key wrapping, opens
 * with the device's private key to the program; DeliveryStart announces it and the ledger row is
 * {@code sending}.
 */
class ProgramEncryptionRouteTest extends StageRouteTestSupport {

    @Override
    List<String> routeFiles() {
        return List.of("camel/delivery/6-program-encryption.camel.yaml", "camel/delivery/7-transmit.camel.yaml");
    }

    @BeforeEach
    void startContext() {
        start();
    }

    @Test
    void wrappedForAnEcDeviceOpensToTheProgram() throws Exception {
        encryptTransmitAndOpen(registered("trp-ec-1", ecKeys()), EnvelopeMode.WRAPPED);
    }

    @Test
    void directForAnEcDeviceOpensToTheProgram() throws Exception {
        encryptTransmitAndOpen(registered("trp-ec-1", ecKeys()), EnvelopeMode.DIRECT);
    }

    @Test
    void wrappedForAnRsaDeviceOpensToTheProgram() throws Exception {
        encryptTransmitAndOpen(registered("trp-rsa-1", rsaKeys()), EnvelopeMode.WRAPPED);
    }

    @Test
    void directForAnRsaDeviceOpensToTheProgram() throws Exception {
        encryptTransmitAndOpen(registered("trp-rsa-1", rsaKeys()), EnvelopeMode.DIRECT);
    }

    @Test
    void aDeliveryWithoutKeyMaterialIsRefused() {
        TestDevice device = registered("trp-ec-1", ecKeys());
        ProgramCatalog.ProgramVersion program = publish("hello", "1.0", content(3000, 5), null);
        DeliveryContext verified = deviceChecked(device.session(), "hello", "", "").at(Stage.ENTITLED)
                .resolved(program).at(Stage.SIGNATURE_VERIFIED);

        assertThat(refusal("program-encryption", verified).code()).isEqualTo(ChannelCode.PROTOCOL_VIOLATION);
        assertThat(ledger.find(verified.deliveryId()).orElseThrow().outcome()).isEqualTo("requested");
    }

    void encryptTransmitAndOpen(TestDevice device, EnvelopeMode mode) throws Exception {
        byte[] bytes = content(5 * 1024 + 17, 42);
        ProgramCatalog.ProgramVersion program = publish("hello", "1.0", bytes, null);
        DeliveryContext keyed = bean("keyWrapping", KeyWrapping.class).wrap(deviceChecked(device.session(), "hello",
                "", mode.label()).at(Stage.ENTITLED).resolved(program).at(Stage.SIGNATURE_VERIFIED));
        long envelopeLength = keyed.keyMaterial().envelopeLength();

        DeliveryContext encrypted = pass("program-encryption", keyed);

        assertThat(encrypted.stage()).isEqualTo(Stage.ENCRYPTED);
        assertThat(encrypted.keyMaterial()).as("consumed by encryption").isNull();
        assertThat(encrypted.outgoing()).hasSize(1);
        ChannelMessage.DeliveryStart start = (ChannelMessage.DeliveryStart) encrypted.outgoing().get(0);
        assertThat(start.programId()).isEqualTo("hello");
        assertThat(start.version()).isEqualTo("1.0");
        assertThat(start.mode()).isEqualTo(mode.label());
        assertThat(start.programSize()).isEqualTo(bytes.length);
        assertThat(start.programSha256()).isEqualTo(HexFormat.of().formatHex(sha256(bytes)));
        assertThat(start.envelopeSize()).isEqualTo(envelopeLength).isEqualTo(encrypted.transfer().length());
        assertThat(start.publisherSignature()).isEqualTo(program.publisherSignature());
        assertThat(Base64.getDecoder().decode(start.publisherCertificate()))
                .isEqualTo(pki.publisherCertificate().getEncoded());
        assertThat(start.serverNonce()).isEqualTo(encrypted.serverNonce()).isNotBlank();
        DeliveryLedger.Delivery row = ledger.find(encrypted.deliveryId()).orElseThrow();
        assertThat(row.outcome()).isEqualTo("sending");
        assertThat(row.mode()).isEqualTo(mode.label());
        assertThat(row.envelopeSize()).isEqualTo(envelopeLength);
        assertThat(row.serverNonce()).isEqualTo(encrypted.serverNonce());

        // the default window (1 MiB) carries the small envelope in one round
        DeliveryContext sent = pass("transmit", encrypted.sentOut());
        assertThat(sent.stage()).isEqualTo(Stage.SENT);
        List<ChannelMessage> out = sent.outgoing();
        ByteArrayOutputStream envelope = new ByteArrayOutputStream();
        for (ChannelMessage m : out.subList(0, out.size() - 1)) {
            envelope.write(((ChannelMessage.DeliveryChunk) m).data());
        }
        ChannelMessage.DeliveryEnd end = (ChannelMessage.DeliveryEnd) out.get(out.size() - 1);
        assertThat(envelope.size()).isEqualTo(envelopeLength);
        String envelopeSha256 = HexFormat.of().formatHex(sha256(envelope.toByteArray()));
        assertThat(end.envelopeSha256()).isEqualTo(envelopeSha256).isEqualTo(sent.envelopeSha256());

        Path file = dir.resolve("envelope-" + mode.label());
        Files.write(file, envelope.toByteArray());
        Path plaintext = dir.resolve("plaintext-" + mode.label());
        OpenedEnvelope opened = EnvelopeOpener.open(file, device.keys().getPrivate(), device.certificate(), plaintext);
        assertThat(opened.mode()).isEqualTo(mode);
        assertThat(Files.readAllBytes(plaintext)).isEqualTo(bytes);
        sent.release();
    }
}
