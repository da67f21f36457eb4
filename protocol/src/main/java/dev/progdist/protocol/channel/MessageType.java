package dev.progdist.protocol.channel;

import java.util.Optional;

/**
 * The application message types of the second path, with their one-byte wire code and the range of
 * payload lengths a frame of that type may declare. The decoder refuses a length outside that range
 * from the frame header alone, before any of the payload is buffered.
 *
 * <table>
 * <caption>Type codes (protocol version 1)</caption>
 * <tr><th>code</th><th>type</th><th>direction</th><th>payload</th><th>max payload</th></tr>
 * <tr><td>{@code 0x00}</td><td>never used</td><td></td><td></td><td></td></tr>
 * <tr><td>{@code 0x01}</td><td>{@link #HELLO}</td><td>TRP → server</td><td>JSON</td><td>65536</td></tr>
 * <tr><td>{@code 0x02}</td><td>{@link #HELLO_ACK}</td><td>server → TRP</td><td>JSON</td><td>1024</td></tr>
 * <tr><td>{@code 0x03}</td><td>{@link #ERROR}</td><td>either</td><td>JSON</td><td>4096</td></tr>
 * <tr><td>{@code 0x04}</td><td>{@link #CLOSE}</td><td>either</td><td>none</td><td>0</td></tr>
 * <tr><td>{@code 0x10}</td><td>{@link #FETCH}</td><td>TRP → server</td><td>JSON</td><td>1024</td></tr>
 * <tr><td>{@code 0x11}</td><td>{@link #DELIVERY_START}</td><td>server → TRP</td><td>JSON</td><td>8192</td></tr>
 * <tr><td>{@code 0x12}</td><td>{@link #DELIVERY_CHUNK}</td><td>server → TRP</td><td>raw bytes (not JSON), at
 * least 1</td><td>16376</td></tr>
 * <tr><td>{@code 0x13}</td><td>{@link #DELIVERY_END}</td><td>server → TRP</td><td>JSON</td><td>256</td></tr>
 * <tr><td>{@code 0x14}</td><td>{@link #RECEIPT}</td><td>TRP → server</td><td>JSON</td><td>4096</td></tr>
 * <tr><td>{@code 0x15}</td><td>{@link #DELIVERY_ACK}</td><td>TRP → server</td><td>JSON</td><td>256</td></tr>
 * <tr><td>all others</td><td>unassigned</td><td></td><td></td><td></td></tr>
 * </table>
 *
 * <p>Unassigned codes are refused ({@code frame-type}). A program of any size travels as one
 * DeliveryStart, many DeliveryChunk frames and one DeliveryEnd. DeliveryChunk's maximum of 16376
 * bytes makes its frame (8-byte header included) exactly 16384 bytes, the plaintext of one full TLS
 * record. Being below {@link #MAX_PAYLOAD}, it leaves the decoder's buffer bound
 * ({@link ChannelCodec#MAX_BUFFERED}) as it was.
 */
public enum MessageType {

    HELLO(0x01, "hello", 0, 64 * 1024),
    HELLO_ACK(0x02, "hello-ack", 0, 1024),
    ERROR(0x03, "error", 0, 4 * 1024),
    CLOSE(0x04, "close", 0, 0),
    FETCH(0x10, "fetch", 0, 1024),
    DELIVERY_START(0x11, "delivery-start", 0, 8 * 1024),
    DELIVERY_CHUNK(0x12, "delivery-chunk", 1, ChannelMessage.MAX_CHUNK),
    DELIVERY_END(0x13, "delivery-end", 0, 256),
    RECEIPT(0x14, "receipt", 0, 4 * 1024),
    DELIVERY_ACK(0x15, "delivery-ack", 0, 256);

    /** The largest {@link #maxPayload()} of all types: 64 KiB. */
    public static final int MAX_PAYLOAD = 64 * 1024;

    private static final MessageType[] BY_CODE = new MessageType[256];

    static {
        for (MessageType t : values()) {
            if (t.maxPayload > MAX_PAYLOAD || t.minPayload > t.maxPayload) {
                throw new ExceptionInInitializerError("payload range of " + t + " is not within 0 to MAX_PAYLOAD");
            }
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final String label;
    private final int minPayload;
    private final int maxPayload;

    MessageType(int code, String label, int minPayload, int maxPayload) {
        this.code = code;
        this.label = label;
        this.minPayload = minPayload;
        this.maxPayload = maxPayload;
    }

    /** The type byte of the frame header, 1 to 255. */
    public int code() {
        return code;
    }

    /** Lower-case name for messages and logs, e.g. {@code hello-ack}. */
    public String label() {
        return label;
    }

    /**
     * The smallest payload, in bytes, a frame of this type may declare: 1 for
     * {@link #DELIVERY_CHUNK} (an empty chunk carries nothing), 0 for the others (a JSON type's
     * payload is then refused as malformed, not by length).
     */
    public int minPayload() {
        return minPayload;
    }

    /** The largest payload, in bytes, a frame of this type may declare. */
    public int maxPayload() {
        return maxPayload;
    }

    /** The type with this code ({@code code} is taken as an unsigned byte). */
    public static Optional<MessageType> fromCode(int code) {
        return Optional.ofNullable(BY_CODE[code & 0xff]);
    }
}
