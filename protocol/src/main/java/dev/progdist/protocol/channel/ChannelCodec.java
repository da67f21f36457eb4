package dev.progdist.protocol.channel;

import static dev.progdist.protocol.channel.ChannelCodecException.FRAME_MAGIC;
import static dev.progdist.protocol.channel.ChannelCodecException.FRAME_TOO_LARGE;
import static dev.progdist.protocol.channel.ChannelCodecException.FRAME_TRUNCATED;
import static dev.progdist.protocol.channel.ChannelCodecException.FRAME_TYPE;
import static dev.progdist.protocol.channel.ChannelCodecException.FRAME_VERSION;
import static dev.progdist.protocol.channel.ChannelCodecException.PAYLOAD_INVALID;

import java.util.Objects;

/**
 * Framing of the second-path application messages ({@link ChannelMessage}) inside the TLS 1.3
 * channel between server and TRP. A conversation is a sequence of frames, any number of them, each
 * carrying one message; TLS may cut that sequence into pieces anywhere, which the
 * {@link Decoder} reassembles.
 *
 * <h2>Frame format (version 1)</h2>
 * <pre>
 * offset  size  field
 *      0     1  magic 0x50 ('P')
 *      1     1  magic 0x44 ('D')
 *      2     1  version, unsigned: 0x01
 *      3     1  type, unsigned: the code of a {@link MessageType} (0x01 Hello, 0x02 HelloAck,
 *               0x03 Error, 0x04 Close, 0x10 Fetch, 0x11 DeliveryStart, 0x12 DeliveryChunk,
 *               0x13 DeliveryEnd, 0x14 Receipt, 0x15 DeliveryAck; everything else unassigned)
 *      4     4  payload length, unsigned 32-bit big-endian, from the type's
 *               {@link MessageType#minPayload()} to its {@link MessageType#maxPayload()}
 *      8     n  payload: n bytes as declared
 * </pre>
 * Example: Close is {@code 50 44 01 04 00 00 00 00}. The payload of every type but Close and
 * DeliveryChunk is one JSON object in UTF-8 (no byte order mark, nothing after it, no duplicate
 * keys), exactly the fields of the record, all present, none null, strings as JSON strings and sizes
 * as JSON integers; see {@link ChannelMessage} for the value rules. Close has an empty payload.
 * DeliveryChunk carries 1 to {@value ChannelMessage#MAX_CHUNK} raw bytes, which this
 * length-prefixed format allows: nothing in a payload is interpreted by the framing. A full
 * DeliveryChunk frame is 16384 bytes, the plaintext of exactly one TLS record.
 *
 * <p>There is no checksum or sequence number: TLS provides integrity and order.
 */
public final class ChannelCodec {

    public static final int MAGIC_0 = 0x50;
    public static final int MAGIC_1 = 0x44;
    public static final int VERSION = 1;
    public static final int HEADER_SIZE = 8;
    /**
     * The most a caller may {@linkplain Decoder#feed feed} at once: the plaintext of one TLS record
     * (2^14 bytes).
     */
    public static final int MAX_FEED = 16 * 1024;
    /**
     * The most a {@link Decoder} ever holds: one frame in progress (header and the largest payload
     * of any type) plus one feed beyond it.
     */
    public static final int MAX_BUFFERED = HEADER_SIZE + MessageType.MAX_PAYLOAD + MAX_FEED;

    private ChannelCodec() {
    }

    /**
     * The frame of {@code message}.
     *
     * @throws ChannelCodecException {@code payload-invalid} if a field is missing or breaks its rule,
     *         {@code frame-too-large} if the payload exceeds the type's maximum
     */
    public static byte[] encode(ChannelMessage message) {
        Objects.requireNonNull(message, "message");
        Payloads.validate(message);
        MessageType type = message.type();
        byte[] payload = Payloads.encode(message);
        if (payload.length > type.maxPayload()) {
            throw new ChannelCodecException(FRAME_TOO_LARGE, type.label() + ": payload of " + payload.length
                    + " bytes exceeds the maximum of " + type.maxPayload());
        }
        byte[] frame = new byte[HEADER_SIZE + payload.length];
        frame[0] = (byte) MAGIC_0;
        frame[1] = (byte) MAGIC_1;
        frame[2] = (byte) VERSION;
        frame[3] = (byte) type.code();
        int n = payload.length;
        frame[4] = (byte) (n >>> 24);
        frame[5] = (byte) (n >>> 16);
        frame[6] = (byte) (n >>> 8);
        frame[7] = (byte) n;
        System.arraycopy(payload, 0, frame, HEADER_SIZE, n);
        return frame;
    }

    /**
     * Reassembles frames from the pieces TLS delivers and decodes them, strictly and in bounded
     * memory. Stateful and not thread-safe: one per channel, used by one thread at a time.
     *
     * <p>Use: after each TLS record, {@link #feed} its plaintext (at most {@link #MAX_FEED} bytes),
     * then call {@link #next()} until it returns {@code null}. At the end of the stream, call
     * {@link #finish()} (or check {@link #hasPartialFrame()}) to detect a truncated frame.
     *
     * <p>Checks happen as early as the bytes allow: the magic on the first byte, the version on the
     * third, the type on the fourth, the declared length against the type's range on the eighth,
     * all before the payload is buffered, and by {@code feed} itself for the frame in progress. The
     * decoder holds at most the frame in progress (header + that type's maximum payload) plus one
     * feed beyond it: never more than {@link #MAX_BUFFERED} bytes.
     *
     * <p>A {@link ChannelCodecException} from {@code feed}, {@code next} or {@code finish} poisons
     * the decoder: its buffer is released and every later call to those methods, and to
     * {@code hasPartialFrame}, throws an exception with the same code. Violations of the calling
     * contract ({@link IllegalArgumentException}, {@link IllegalStateException},
     * {@link IndexOutOfBoundsException}) leave the decoder unchanged.
     */
    public static final class Decoder {

        private static final byte[] NONE = new byte[0];

        private byte[] buf = NONE;
        private int start;
        private int end;
        private ChannelCodecException failure;

        /**
         * Appends {@code len} bytes of {@code data} from {@code off} and checks the header of the
         * frame in progress as far as it has arrived.
         *
         * @throws ChannelCodecException if that header is refused (the decoder is then poisoned)
         * @throws IllegalArgumentException if {@code len} exceeds {@link #MAX_FEED}
         * @throws IllegalStateException if the bytes would exceed {@link #MAX_BUFFERED}, which happens
         *         only if {@link #next()} was not called until {@code null} after the previous feed
         */
        public void feed(byte[] data, int off, int len) {
            Objects.requireNonNull(data, "data");
            Objects.checkFromIndexSize(off, len, data.length);
            throwIfPoisoned();
            if (len > MAX_FEED) {
                throw new IllegalArgumentException("feed at most " + MAX_FEED + " bytes (one TLS record) at a time, not "
                        + len);
            }
            if (end - start + len > MAX_BUFFERED) {
                throw new IllegalStateException("decoder would hold more than " + MAX_BUFFERED
                        + " bytes: call next() until it returns null before feeding more");
            }
            if (len == 0) {
                return;
            }
            makeRoom(len);
            System.arraycopy(data, off, buf, end, len);
            end += len;
            guard(this::checkHeader);
        }

        /** Same as {@code feed(data, 0, data.length)}. */
        public void feed(byte[] data) {
            feed(data, 0, data.length);
        }

        /**
         * The next complete message, or {@code null} if more bytes are needed.
         *
         * @throws ChannelCodecException if the frame is refused (the decoder is then poisoned)
         */
        public ChannelMessage next() {
            throwIfPoisoned();
            try {
                MessageType type = checkHeader();
                if (type == null || end - start < HEADER_SIZE) {
                    return null;
                }
                int len = (int) declaredLength(); // checkHeader bounded it by the type's maximum
                if (end - start - HEADER_SIZE < len) {
                    return null;
                }
                ChannelMessage message = Payloads.decode(type, buf, start + HEADER_SIZE, len);
                start += HEADER_SIZE + len;
                if (start == end) {
                    start = 0;
                    end = 0;
                }
                return message;
            } catch (ChannelCodecException e) {
                poison(e);
                throw e;
            }
        }

        /**
         * Whether bytes are held that {@link #next()} has not returned as a message. After
         * {@code next()} returned {@code null}, this means a frame was begun but not completed: at the
         * end of the stream, a truncation.
         */
        public boolean hasPartialFrame() {
            throwIfPoisoned();
            return end > start;
        }

        /**
         * Declares the end of the stream (e.g. TLS close_notify). Call after {@link #next()} returned
         * {@code null}.
         *
         * @throws ChannelCodecException {@code frame-truncated} if a frame was begun but not completed
         */
        public void finish() {
            throwIfPoisoned();
            if (end > start) {
                ChannelCodecException e = new ChannelCodecException(FRAME_TRUNCATED,
                        "stream ended inside a frame (" + (end - start) + " bytes of it received)");
                poison(e);
                throw e;
            }
        }

        /** How many bytes are held now; at most {@link #MAX_BUFFERED}, 0 once poisoned. */
        public int bufferedBytes() {
            return end - start;
        }

        /**
         * Checks the header of the frame at the head of the buffer as far as it has arrived; returns
         * its type once the type byte is there, else {@code null}.
         */
        private MessageType checkHeader() {
            int n = end - start;
            if (n >= 1 && (buf[start] & 0xff) != MAGIC_0 || n >= 2 && (buf[start + 1] & 0xff) != MAGIC_1) {
                throw new ChannelCodecException(FRAME_MAGIC, "frame does not start with the magic bytes 0x50 0x44");
            }
            if (n >= 3 && (buf[start + 2] & 0xff) != VERSION) {
                throw new ChannelCodecException(FRAME_VERSION, "unsupported frame version " + (buf[start + 2] & 0xff)
                        + " (supported: " + VERSION + ")");
            }
            if (n < 4) {
                return null;
            }
            int code = buf[start + 3] & 0xff;
            MessageType type = MessageType.fromCode(code).orElseThrow(() -> new ChannelCodecException(FRAME_TYPE,
                    String.format("unknown message type 0x%02x", code)));
            if (n >= HEADER_SIZE) {
                long len = declaredLength();
                if (len > type.maxPayload()) {
                    throw new ChannelCodecException(FRAME_TOO_LARGE, type.label() + ": declared payload length "
                            + len + " exceeds the maximum of " + type.maxPayload());
                }
                if (len < type.minPayload()) {
                    throw new ChannelCodecException(PAYLOAD_INVALID, type.label() + ": declared payload length "
                            + len + " is below the minimum of " + type.minPayload());
                }
            }
            return type;
        }

        private long declaredLength() {
            return (buf[start + 4] & 0xffL) << 24 | (buf[start + 5] & 0xffL) << 16 | (buf[start + 6] & 0xffL) << 8
                    | buf[start + 7] & 0xffL;
        }

        /** Ensures {@code len} more bytes fit after {@code end}, compacting and growing up to MAX_BUFFERED. */
        private void makeRoom(int len) {
            if (buf.length - end >= len) {
                return;
            }
            int held = end - start;
            int needed = held + len; // <= MAX_BUFFERED, checked by feed
            byte[] target = buf;
            if (buf.length < needed) {
                target = new byte[Math.min(MAX_BUFFERED, Math.max(needed, Math.max(1024, buf.length * 2)))];
            }
            System.arraycopy(buf, start, target, 0, held);
            buf = target;
            start = 0;
            end = held;
        }

        private void guard(Runnable step) {
            try {
                step.run();
            } catch (ChannelCodecException e) {
                poison(e);
                throw e;
            }
        }

        private void poison(ChannelCodecException e) {
            failure = e;
            buf = NONE;
            start = 0;
            end = 0;
        }

        private void throwIfPoisoned() {
            if (failure != null) {
                throw new ChannelCodecException(failure.code(), "decoder failed earlier: " + failure.getMessage(),
                        failure);
            }
        }
    }
}
