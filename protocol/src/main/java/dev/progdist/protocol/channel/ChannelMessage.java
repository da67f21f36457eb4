package dev.progdist.protocol.channel;

import dev.progdist.protocol.program.ProgramVersions;
import dev.progdist.protocol.wire.TrpStatus;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * An application message of the second path, the TLS 1.3 channel between the server and a TRP.
 * Each travels in one frame ({@link ChannelCodec}); {@link #type()} gives its type byte and size
 * limit. The records accept any values; {@link ChannelCodec#encode} and the decoder enforce the
 * rules below, so a decoded message always satisfies them.
 *
 * <table>
 * <caption>Messages and rules</caption>
 * <tr><th>code</th><th>record</th><th>payload and rules</th></tr>
 * <tr><td>{@code 0x01}</td><td>{@link Hello}</td><td>{@code {"deviceId":…,"installed":[{"programId":…,"version":…},…]}};
 * deviceId per {@link dev.progdist.protocol.DeviceId#isValid}; at most {@value #MAX_INSTALLED} entries;
 * programId {@value ProgramVersions#PROGRAM_ID_PATTERN}; version {@value ProgramVersions#VERSION_PATTERN}</td></tr>
 * <tr><td>{@code 0x02}</td><td>{@link HelloAck}</td><td>{@code {"sessionId":…,"deviceId":…,"userId":…}};
 * sessionId {@value #SESSION_ID_PATTERN} (base64url); deviceId as above; userId {@value #USER_ID_PATTERN}</td></tr>
 * <tr><td>{@code 0x03}</td><td>{@link ErrorMessage}</td><td>{@code {"code":…,"message":…}}; code
 * {@value #ERROR_CODE_PATTERN}; message at most {@value #MAX_ERROR_MESSAGE} chars (UTF-16 units), no control
 * characters, no unpaired surrogates</td></tr>
 * <tr><td>{@code 0x04}</td><td>{@link Close}</td><td>empty</td></tr>
 * <tr><td>{@code 0x10}</td><td>{@link Fetch}</td><td>{@code {"programId":…,"version":…,"mode":…}}; programId
 * as above; version as above or {@code ""} (the latest); mode {@code ""} (the server's choice), {@code direct}
 * or {@code wrapped}</td></tr>
 * <tr><td>{@code 0x11}</td><td>{@link DeliveryStart}</td><td>{@code {"programId":…,"version":…,"mode":…,
 * "programSize":…,"programSha256":…,"envelopeSize":…,"publisherSignature":…,"publisherCertificate":…,
 * "serverNonce":…}}; programId and version as above; mode {@code direct} or {@code wrapped}; the sizes JSON
 * integers 0 to {@value #MAX_SIZE} (2^40); programSha256 64 lower-case hex digits; publisherSignature
 * base64 of 1 to {@value #MAX_PUBLISHER_SIGNATURE} bytes; publisherCertificate base64 of 1 to
 * {@value #MAX_PUBLISHER_CERTIFICATE} bytes (DER, parsed by the receiver, not here); serverNonce base64url
 * without padding of exactly {@value #SERVER_NONCE_BYTES} bytes (43 characters)</td></tr>
 * <tr><td>{@code 0x12}</td><td>{@link DeliveryChunk}</td><td>raw bytes, not JSON: 1 to
 * {@value #MAX_CHUNK} bytes of the envelope</td></tr>
 * <tr><td>{@code 0x13}</td><td>{@link DeliveryEnd}</td><td>{@code {"envelopeSha256":…}}; 64 lower-case hex
 * digits</td></tr>
 * <tr><td>{@code 0x14}</td><td>{@link Receipt}</td><td>{@code {"programId":…,"version":…,"programSha256":…,
 * "envelopeSha256":…,"serverNonce":…,"signature":…}}; programId and version as above; digests and nonce as
 * in DeliveryStart; signature base64 of 1 to {@value #MAX_RECEIPT_SIGNATURE} bytes</td></tr>
 * <tr><td>{@code 0x15}</td><td>{@link DeliveryAck}</td><td>{@code {"received":…}}; a JSON integer 0 to
 * {@value #MAX_SIZE}</td></tr>
 * </table>
 *
 * <p>Every field is required and non-null; unknown JSON fields are refused; a size is a JSON integer
 * (not a string, not a fraction or exponent). Base64 is the standard alphabet with padding (RFC 4648
 * section 4), base64url is RFC 4648 section 5 without padding; both must be canonical: decoding and
 * encoding again gives the same text. The whole payload must also fit the type's
 * {@link MessageType#maxPayload()}: a Hello near its entry limit with long program IDs does not, and
 * {@code encode} refuses it ({@code frame-too-large}). Every other type fits whatever its values.
 */
public sealed interface ChannelMessage
        permits ChannelMessage.Hello, ChannelMessage.HelloAck, ChannelMessage.ErrorMessage, ChannelMessage.Close,
        ChannelMessage.Fetch, ChannelMessage.DeliveryStart, ChannelMessage.DeliveryChunk, ChannelMessage.DeliveryEnd,
        ChannelMessage.Receipt, ChannelMessage.DeliveryAck {

    int MAX_INSTALLED = 1024;
    int MAX_ERROR_MESSAGE = 1024;
    String SESSION_ID_PATTERN = "[A-Za-z0-9_-]{1,64}";
    /** The user ID rule of the server's user directory. */
    String USER_ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._@-]{0,63}";
    String ERROR_CODE_PATTERN = "[a-z0-9-]{1,64}";
    /** The largest program, envelope or received count: 2^40 bytes (1 TiB). */
    long MAX_SIZE = 1L << 40;
    /** The largest DeliveryChunk: its frame is then 16384 bytes, the plaintext of one full TLS record. */
    int MAX_CHUNK = 16 * 1024 - ChannelCodec.HEADER_SIZE;
    /** The most bytes a publisher signature may decode to (an ECDSA P-256 signature is at most 72). */
    int MAX_PUBLISHER_SIGNATURE = 512;
    /** The most bytes a publisher certificate (DER) may decode to. */
    int MAX_PUBLISHER_CERTIFICATE = 4096;
    /** The most bytes a receipt signature may decode to (RSA 8192 is 1024). */
    int MAX_RECEIPT_SIGNATURE = 1024;
    /** The length of a server nonce, in bytes. */
    int SERVER_NONCE_BYTES = 32;

    MessageType type();

    /**
     * TRP → server, the first message after the TLS handshake: who the TRP says it is (the server
     * checks this against its certificate) and what it has installed.
     */
    record Hello(String deviceId, List<TrpStatus.InstalledProgram> installed) implements ChannelMessage {

        public Hello {
            // an unmodifiable copy that keeps null entries, so the codec can refuse them with a clear message
            installed = installed == null ? null : Collections.unmodifiableList(new ArrayList<>(installed));
        }

        @Override
        public MessageType type() {
            return MessageType.HELLO;
        }
    }

    /** Server → TRP: the processor is authenticated and bound to this first-path session. */
    record HelloAck(String sessionId, String deviceId, String userId) implements ChannelMessage {

        @Override
        public MessageType type() {
            return MessageType.HELLO_ACK;
        }
    }

    /**
     * Either way: the sender refuses something. {@code code} is a stable token such as
     * {@code device-not-owned}; {@code message} is for people.
     */
    record ErrorMessage(String code, String message) implements ChannelMessage {

        @Override
        public MessageType type() {
            return MessageType.ERROR;
        }
    }

    /** Either way: orderly end of the conversation. No payload. */
    record Close() implements ChannelMessage {

        @Override
        public MessageType type() {
            return MessageType.CLOSE;
        }
    }

    /**
     * TRP → server: send me this program. {@code version} {@code ""} asks for the latest,
     * {@code mode} {@code ""} leaves the envelope mode to the server. The server answers with a
     * DeliveryStart, or an Error.
     */
    record Fetch(String programId, String version, String mode) implements ChannelMessage {

        @Override
        public MessageType type() {
            return MessageType.FETCH;
        }
    }

    /**
     * Server → TRP: a delivery begins. Names the program and version actually sent, the envelope
     * mode, the program's size and SHA-256 with the publisher's signature over them (a
     * {@link dev.progdist.protocol.program.ProgramStatement}) and certificate, the size of the
     * envelope that the DeliveryChunk frames will carry, and a fresh nonce the TRP's Receipt must
     * repeat.
     */
    record DeliveryStart(String programId, String version, String mode, long programSize, String programSha256,
            long envelopeSize, String publisherSignature, String publisherCertificate, String serverNonce)
            implements ChannelMessage {

        @Override
        public MessageType type() {
            return MessageType.DELIVERY_START;
        }
    }

    /**
     * Server → TRP: the next bytes of the envelope, 1 to {@value ChannelMessage#MAX_CHUNK}. The
     * payload is these bytes, not JSON.
     *
     * <p>The record keeps its own copy: the constructor copies {@code data} and {@link #data()}
     * returns a copy, so no one can change a chunk after the fact. {@code equals} and
     * {@code hashCode} compare contents; {@code toString} gives only the length. Read without
     * copying through {@link #length()} and {@link #asReadOnlyBuffer()}.
     */
    record DeliveryChunk(byte[] data) implements ChannelMessage {

        /** The array the decoder hands over in {@link #adopt}: already a private copy, kept as is. */
        private static final ThreadLocal<byte[]> ADOPTING = new ThreadLocal<>();

        public DeliveryChunk {
            if (data != null && data != ADOPTING.get()) {
                data = data.clone();
            }
        }

        /**
         * A chunk that takes {@code fresh} without copying it: for the decoder, which has just
         * copied the payload out of its buffer into {@code fresh} and holds no other reference.
         */
        static DeliveryChunk adopt(byte[] fresh) {
            ADOPTING.set(fresh);
            try {
                return new DeliveryChunk(fresh);
            } finally {
                ADOPTING.remove();
            }
        }

        /** A copy of the bytes ({@code null} if the chunk was made with {@code null}). */
        @Override
        public byte[] data() {
            return data == null ? null : data.clone();
        }

        /** The number of bytes. */
        public int length() {
            return data.length;
        }

        /** The bytes, read-only, without a copy. */
        public ByteBuffer asReadOnlyBuffer() {
            return ByteBuffer.wrap(data).asReadOnlyBuffer();
        }

        /** The bytes themselves, for the encoder; never to be modified or handed out. */
        byte[] bytes() {
            return data;
        }

        @Override
        public MessageType type() {
            return MessageType.DELIVERY_CHUNK;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof DeliveryChunk c && Arrays.equals(data, c.data);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return data == null ? "DeliveryChunk[data=null]" : "DeliveryChunk[" + data.length + " bytes]";
        }
    }

    /** Server → TRP: the envelope is complete; this is its SHA-256 (64 lower-case hex digits). */
    record DeliveryEnd(String envelopeSha256) implements ChannelMessage {

        @Override
        public MessageType type() {
            return MessageType.DELIVERY_END;
        }
    }

    /**
     * TRP → server: the program is installed. {@code signature} is the TRP's signature over the
     * {@link dev.progdist.protocol.program.InstallReceipt} made of these fields and the device and
     * session IDs the channel is bound to.
     */
    record Receipt(String programId, String version, String programSha256, String envelopeSha256,
            String serverNonce, String signature) implements ChannelMessage {

        @Override
        public MessageType type() {
            return MessageType.RECEIPT;
        }
    }

    /**
     * TRP → server: flow control. {@code received} counts the envelope bytes received so far in
     * this delivery; on seeing it the server sends the next window of DeliveryChunk frames.
     */
    record DeliveryAck(long received) implements ChannelMessage {

        @Override
        public MessageType type() {
            return MessageType.DELIVERY_ACK;
        }
    }
}
