package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.delivery.KeyWrapping;
import dev.progdist.processors.delivery.ProgramEncryption;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.channel.MessageType;
import dev.progdist.protocol.envelope.EnvelopeOpener;
import dev.progdist.protocol.program.EnvelopeMode;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * camel/delivery/7-transmit.camel.yaml (transmit and transmit-next): one window per relay round,
 * each later one only for a DeliveryAck that acknowledges exactly what was sent, DeliveryEnd with
 * the envelope's SHA-256 after the last byte, and the device re-checked before every window.
 */
class TransmitRouteTest extends StageRouteTestSupport {

    static final int WINDOW = 16_384;
    static final int CHUNK = MessageType.DELIVERY_CHUNK.maxPayload();
    /** The window in whole chunks. */
    static final int WINDOW_BYTES = (WINDOW + CHUNK - 1) / CHUNK * CHUNK;

    TestDevice device;
    byte[] bytes;

    @Override
    int deliveryWindow() {
        return WINDOW;
    }

    @Override
    List<String> routeFiles() {
        return List.of("camel/delivery/7-transmit.camel.yaml");
    }

    @BeforeEach
    void startContext() {
        start();
        device = registered("trp-ec-1", ecKeys());
        bytes = content(100_000, 7);
    }

    @Test
    void oneWindowPerAcknowledgementUntilDeliveryEnd() throws Exception {
        DeliveryContext encrypted = encrypted();
        long length = encrypted.transfer().length();
        ByteArrayOutputStream envelope = new ByteArrayOutputStream();

        DeliveryContext delivery = pass("transmit", encrypted);
        assertThat(delivery.stage()).isEqualTo(Stage.SENDING);
        assertThat(collect(delivery, envelope)).isEqualTo(WINDOW_BYTES);
        int rounds = 1;
        while (delivery.stage() == Stage.SENDING) {
            long sent = delivery.transfer().sent();
            assertThat(sent).isEqualTo(envelope.size());
            delivery = pass("transmit-next", delivery.sentOut().receiving(new ChannelMessage.DeliveryAck(sent)));
            long window = collect(delivery, envelope);
            assertThat(window).isEqualTo(Math.min(WINDOW_BYTES, length - sent));
            rounds++;
        }

        assertThat(delivery.stage()).isEqualTo(Stage.SENT);
        assertThat(rounds).isEqualTo((int) ((length + WINDOW_BYTES - 1) / WINDOW_BYTES)).isGreaterThan(2);
        ChannelMessage last = delivery.outgoing().get(delivery.outgoing().size() - 1);
        String sha256 = HexFormat.of().formatHex(sha256(envelope.toByteArray()));
        assertThat(last).isEqualTo(new ChannelMessage.DeliveryEnd(sha256));
        assertThat(delivery.envelopeSha256()).isEqualTo(sha256);
        Path file = dir.resolve("envelope");
        Files.write(file, envelope.toByteArray());
        EnvelopeOpener.open(file, device.keys().getPrivate(), device.certificate(), dir.resolve("plaintext"));
        assertThat(Files.readAllBytes(dir.resolve("plaintext"))).isEqualTo(bytes);
    }

    @Test
    void anAcknowledgementOfTheWrongCountIsAProtocolViolation() {
        DeliveryContext first = pass("transmit", encrypted());
        long sent = first.transfer().sent();

        for (long wrong : new long[] {sent - 1, sent + 1, 0}) {
            assertThat(refusal("transmit-next", first.sentOut().receiving(new ChannelMessage.DeliveryAck(wrong)))
                    .code()).as("ack of %d after %d", wrong, sent).isEqualTo(ChannelCode.PROTOCOL_VIOLATION);
        }
        assertThat(first.transfer().sent()).as("nothing more was sent").isEqualTo(sent);
        first.release();
    }

    @Test
    void anAcknowledgementBeforeTheFirstWindowIsAProtocolViolation() {
        DeliveryContext encrypted = encrypted();

        assertThat(refusal("transmit-next", encrypted.receiving(new ChannelMessage.DeliveryAck(0))).code())
                .isEqualTo(ChannelCode.PROTOCOL_VIOLATION);
        encrypted.release();
    }

    @Test
    void aDeviceDisabledDuringTheDeliveryGetsNoFurtherWindow() {
        DeliveryContext first = pass("transmit", encrypted());
        long sent = first.transfer().sent();
        devices.setStatus(device.deviceId(), false);

        assertThat(refusal("transmit-next", first.sentOut().receiving(new ChannelMessage.DeliveryAck(sent))).code())
                .isEqualTo(ChannelCode.DEVICE_DISABLED);
        assertThat(first.transfer().sent()).isEqualTo(sent);
        first.release();
    }

    /** The DeliveryChunks of one window, appended to {@code envelope}; the bytes they carried. */
    static long collect(DeliveryContext delivery, ByteArrayOutputStream envelope) {
        long n = 0;
        for (ChannelMessage m : delivery.outgoing()) {
            if (m instanceof ChannelMessage.DeliveryChunk chunk) {
                envelope.writeBytes(chunk.data());
                n += chunk.data().length;
            }
        }
        return n;
    }

    DeliveryContext encrypted() {
        publish("hello", "1.0", bytes, null);
        DeliveryContext verified = deviceChecked(device.session(), "hello", "", EnvelopeMode.WRAPPED.label())
                .at(Stage.ENTITLED).resolved(catalog.latest("hello").orElseThrow()).at(Stage.SIGNATURE_VERIFIED);
        return bean("programEncryption", ProgramEncryption.class)
                .encrypt(bean("keyWrapping", KeyWrapping.class).wrap(verified)).sentOut();
    }
}
