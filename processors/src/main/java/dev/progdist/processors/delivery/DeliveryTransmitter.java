package dev.progdist.processors.delivery;

import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.channel.MessageType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Stage 7, transmit: the envelope as DeliveryChunks, one window per relay round, and DeliveryEnd
 * with the envelope's SHA-256 after the last byte. The first window follows DeliveryStart
 * ({@link #sendWindow}); each later one answers a DeliveryAck that must acknowledge exactly what
 * was sent ({@link #acknowledged}, else {@code protocol-violation}). Before each window the device
 * must still be trusted, so a revocation stops a delivery at its next window, and a delivery that
 * serves a rollout must still be wanted by it ({@link RolloutLink#stillWanted}, else
 * {@code rollout-stopped}), so stopping a rollout ends its deliveries at their next window. The last window is
 * not acknowledged: the TRP answers DeliveryEnd with its Receipt. Sealed.
 */
public class DeliveryTransmitter {

    private static final int CHUNK = MessageType.DELIVERY_CHUNK.maxPayload();

    /**
     * The largest window: what the device bus limits ({@code progdist.gateway.bus.max-message-bytes},
     * {@code progdist.trp.bus.max-message-bytes}) and the gateway's channel reply limit are sized for.
     */
    public static final int MAX_WINDOW = 4 * 1024 * 1024;

    private final int window;
    private final DeviceTrust trust;
    private final RolloutLink rollouts;

    /**
     * @param window   bytes of envelope per relay round (rounded up to whole chunks)
     * @param rollouts the rollout engine, or {@link RolloutLink#NONE} where there are no rollouts
     */
    public DeliveryTransmitter(int window, DeviceTrust trust, RolloutLink rollouts) {
        if (window < CHUNK) {
            throw new IllegalArgumentException("the delivery window must be at least one chunk (" + CHUNK + " bytes)");
        }
        if (window > MAX_WINDOW) {
            throw new IllegalArgumentException("the delivery window must be at most " + MAX_WINDOW
                    + " bytes (4 MiB), not " + window + ": the gateway and the TRP accept no larger relay step");
        }
        this.window = window;
        this.trust = trust;
        this.rollouts = java.util.Objects.requireNonNull(rollouts, "rollouts");
    }

    /** SENDING (with the TRP's DeliveryAck) → SENDING or SENT: checks the acknowledgement, sends the next window. */
    public DeliveryContext acknowledged(DeliveryContext delivery) {
        delivery.require(Stage.SENDING);
        ChannelMessage.DeliveryAck ack = delivery.received(ChannelMessage.DeliveryAck.class);
        if (ack.received() != delivery.transfer().sent()) {
            throw new DeliveryException(ChannelCode.PROTOCOL_VIOLATION, "the TRP acknowledged " + ack.received()
                    + " bytes, but " + delivery.transfer().sent() + " were sent");
        }
        return window(delivery);
    }

    /** ENCRYPTED → SENDING or SENT: the first window, after DeliveryStart. */
    public DeliveryContext sendWindow(DeliveryContext delivery) {
        delivery.require(Stage.ENCRYPTED);
        return window(delivery);
    }

    private DeliveryContext window(DeliveryContext delivery) {
        trust.requireTrusted(delivery.device());
        if (delivery.assignment() != null && !rollouts.stillWanted(delivery.deliveryId())) {
            throw new DeliveryException(ChannelCode.ROLLOUT_STOPPED, "rollout " + delivery.assignment().rolloutId()
                    + " no longer wants this delivery (it was stopped)");
        }
        EnvelopeTransfer envelope = delivery.transfer();
        List<ChannelMessage.DeliveryChunk> chunks = new ArrayList<>();
        int windowSent = 0;
        try {
            while (!envelope.complete() && windowSent < window) {
                // each chunk is read into an array of its own: the records are made after this stage returns
                byte[] chunk = new byte[(int) Math.min(CHUNK, envelope.length() - envelope.sent())];
                windowSent += envelope.next(chunk, chunk.length);
                chunks.add(new ChannelMessage.DeliveryChunk(chunk));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the envelope of " + delivery.request().programId(), e);
        }
        if (envelope.complete()) {
            String sha256 = envelope.sha256();
            envelope.close();
            return delivery.allSent(chunks, sha256);
        }
        return delivery.windowSent(chunks);
    }
}
