package dev.progdist.processors.delivery;

import dev.progdist.processors.channel.ProcessorAuthentication;
import dev.progdist.processors.channel.ServerChannel;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.channel.MessageType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.camel.Exchange;

/**
 * The transmit stage: sends the envelope as DeliveryChunks, one window per relay round, and
 * DeliveryEnd with the envelope's SHA-256 after the last byte. The first window follows
 * DeliveryStart; each later one answers a DeliveryAck that must acknowledge exactly what was sent
 * (anything else is a {@code protocol-violation}). Before each window it checks again that the
 * device is still trusted, so a revocation stops a delivery mid-way.
 */
public class DeliveryTransmitter {

    private static final int CHUNK = MessageType.DELIVERY_CHUNK.maxPayload();

    /**
     * The largest window: what the device bus limits ({@code progdist.gateway.bus.max-message-bytes},
     * {@code progdist.trp.bus.max-message-bytes}) and the gateway's channel reply limit are sized for.
     */
    public static final int MAX_WINDOW = 4 * 1024 * 1024;

    private final int window;
    private final ProcessorAuthentication authentication;

    /** @param window bytes of envelope per relay round (rounded up to whole chunks) */
    public DeliveryTransmitter(int window, ProcessorAuthentication authentication) {
        if (window < CHUNK) {
            throw new IllegalArgumentException("the delivery window must be at least one chunk (" + CHUNK + " bytes)");
        }
        if (window > MAX_WINDOW) {
            throw new IllegalArgumentException("the delivery window must be at most " + MAX_WINDOW
                    + " bytes (4 MiB), not " + window + ": the gateway and the TRP accept no larger relay step");
        }
        this.window = window;
        this.authentication = authentication;
    }

    /** After an acknowledgement: checks it and sends the next window. */
    public void acknowledged(Exchange exchange) {
        DeliverySteps.stage(exchange, "transmit");
        ServerChannel channel = DeliverySteps.channel(exchange);
        ServerDelivery delivery = DeliverySteps.delivery(channel, ServerDelivery.Phase.SENDING);
        ChannelMessage.DeliveryAck ack = DeliverySteps.message(exchange, ChannelMessage.DeliveryAck.class);
        if (ack.received() != delivery.sent()) {
            throw new DeliveryRefusal("protocol-violation", "the TRP acknowledged " + ack.received()
                    + " bytes, but " + delivery.sent() + " were sent");
        }
        sendWindow(exchange);
    }

    /** Sends the next window of the envelope (and DeliveryEnd after its last byte). */
    public void sendWindow(Exchange exchange) {
        DeliverySteps.stage(exchange, "transmit");
        ServerChannel channel = DeliverySteps.channel(exchange);
        ServerDelivery delivery = DeliverySteps.delivery(channel, ServerDelivery.Phase.SENDING);
        DeliverySteps.requireStillTrusted(authentication, channel);
        long length = delivery.envelope().length();
        byte[] buf = new byte[CHUNK];
        int windowSent = 0;
        try {
            while (delivery.sent() < length && windowSent < window) {
                int n = readFully(delivery, buf, (int) Math.min(CHUNK, length - delivery.sent()));
                delivery.envelopeDigest().update(buf, 0, n);
                // the record takes its own copy: buf can be reused for the next chunk
                channel.channel().send(new ChannelMessage.DeliveryChunk(n == buf.length ? buf : Arrays.copyOf(buf, n)));
                delivery.sent(delivery.sent() + n);
                windowSent += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the envelope of " + delivery.programId(), e);
        }
        if (delivery.sent() == length) {
            String sha256 = HexFormat.of().formatHex(delivery.envelopeDigest().digest());
            delivery.allSent(sha256);
            channel.channel().send(new ChannelMessage.DeliveryEnd(sha256));
        }
    }

    private static int readFully(ServerDelivery delivery, byte[] buf, int want) throws IOException {
        int off = 0;
        while (off < want) {
            int n = delivery.envelope().read(buf, off, want - off);
            if (n < 0) {
                throw new IOException("the envelope ended before its announced length");
            }
            off += n;
        }
        return off;
    }
}
