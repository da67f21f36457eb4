package dev.progdist.protocol.channel;

import java.util.Optional;

/**
 * The application message types of the second path, with their one-byte wire code and the largest
 * payload a frame of that type may declare. The decoder refuses a larger declared length from the
 * frame header alone, before any of the payload is buffered.
 *
 * <table>
 * <caption>Type codes (protocol version 1)</caption>
 * <tr><th>code</th><th>type</th><th>direction</th><th>payload</th><th>max payload</th></tr>
 * <tr><td>{@code 0x00}</td><td>never used</td><td></td><td></td><td></td></tr>
 * <tr><td>{@code 0x01}</td><td>{@link #HELLO}</td><td>TRP → server</td><td>JSON</td><td>65536</td></tr>
 * <tr><td>{@code 0x02}</td><td>{@link #HELLO_ACK}</td><td>server → TRP</td><td>JSON</td><td>1024</td></tr>
 * <tr><td>{@code 0x03}</td><td>{@link #ERROR}</td><td>either</td><td>JSON</td><td>4096</td></tr>
 * <tr><td>{@code 0x04}</td><td>{@link #CLOSE}</td><td>either</td><td>none</td><td>0</td></tr>
 * <tr><td>{@code 0x10}</td><td>Fetch (reserved)</td><td>TRP → server</td><td>JSON</td><td>not yet defined</td></tr>
 * <tr><td>{@code 0x11}</td><td>DeliveryStart (reserved)</td><td>server → TRP</td><td>JSON</td><td>not yet defined</td></tr>
 * <tr><td>{@code 0x12}</td><td>DeliveryChunk (reserved)</td><td>server → TRP</td><td>raw bytes (not JSON)</td><td>not yet
 * defined</td></tr>
 * <tr><td>{@code 0x13}</td><td>DeliveryEnd (reserved)</td><td>server → TRP</td><td>JSON</td><td>not yet defined</td></tr>
 * <tr><td>{@code 0x14}</td><td>Receipt (reserved)</td><td>TRP → server</td><td>JSON</td><td>not yet defined</td></tr>
 * <tr><td>all others</td><td>unassigned</td><td></td><td></td><td></td></tr>
 * </table>
 *
 * <p>Reserved codes are refused ({@code frame-type}) until implemented. A program of any size is
 * meant to travel as one DeliveryStart, many DeliveryChunk frames and one DeliveryEnd; whatever
 * maximum DeliveryChunk gets, it bounds the decoder's buffer ({@link ChannelCodec#MAX_BUFFERED}),
 * so it should stay at or below {@link #MAX_PAYLOAD} (64 KiB).
 */
public enum MessageType {

    HELLO(0x01, "hello", 64 * 1024),
    HELLO_ACK(0x02, "hello-ack", 1024),
    ERROR(0x03, "error", 4 * 1024),
    CLOSE(0x04, "close", 0);

    /** The largest {@link #maxPayload()} of all types: 64 KiB. */
    public static final int MAX_PAYLOAD = 64 * 1024;

    private static final MessageType[] BY_CODE = new MessageType[256];
    private static final String[] RESERVED = new String[256];

    static {
        for (MessageType t : values()) {
            if (t.maxPayload > MAX_PAYLOAD) {
                throw new ExceptionInInitializerError("max payload of " + t + " exceeds MAX_PAYLOAD");
            }
            BY_CODE[t.code] = t;
        }
        RESERVED[0x10] = "fetch";
        RESERVED[0x11] = "delivery-start";
        RESERVED[0x12] = "delivery-chunk";
        RESERVED[0x13] = "delivery-end";
        RESERVED[0x14] = "receipt";
    }

    private final int code;
    private final String label;
    private final int maxPayload;

    MessageType(int code, String label, int maxPayload) {
        this.code = code;
        this.label = label;
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

    /** The largest payload, in bytes, a frame of this type may declare. */
    public int maxPayload() {
        return maxPayload;
    }

    /** The implemented type with this code ({@code code} is taken as an unsigned byte). */
    public static Optional<MessageType> fromCode(int code) {
        return Optional.ofNullable(BY_CODE[code & 0xff]);
    }

    /** Whether {@code code} is reserved for a planned type that this version does not implement. */
    public static boolean isReserved(int code) {
        return RESERVED[code & 0xff] != null;
    }

    static String reservedLabel(int code) {
        return RESERVED[code & 0xff];
    }
}
