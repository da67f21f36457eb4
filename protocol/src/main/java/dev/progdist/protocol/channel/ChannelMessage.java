package dev.progdist.protocol.channel;

import dev.progdist.protocol.wire.TrpStatus;
import java.util.ArrayList;
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
 * <tr><th>code</th><th>record</th><th>JSON payload and rules</th></tr>
 * <tr><td>{@code 0x01}</td><td>{@link Hello}</td><td>{@code {"deviceId":…,"installed":[{"programId":…,"version":…},…]}};
 * deviceId per {@link dev.progdist.protocol.DeviceId#isValid}; at most {@value #MAX_INSTALLED} entries;
 * programId {@value #PROGRAM_ID_PATTERN}; version {@value #VERSION_PATTERN}</td></tr>
 * <tr><td>{@code 0x02}</td><td>{@link HelloAck}</td><td>{@code {"sessionId":…,"deviceId":…,"userId":…}};
 * sessionId {@value #SESSION_ID_PATTERN} (base64url); deviceId as above; userId {@value #USER_ID_PATTERN}</td></tr>
 * <tr><td>{@code 0x03}</td><td>{@link ErrorMessage}</td><td>{@code {"code":…,"message":…}}; code
 * {@value #ERROR_CODE_PATTERN}; message at most {@value #MAX_ERROR_MESSAGE} chars (UTF-16 units), no control
 * characters, no unpaired surrogates</td></tr>
 * <tr><td>{@code 0x04}</td><td>{@link Close}</td><td>empty</td></tr>
 * <tr><td>{@code 0x10}–{@code 0x14}</td><td>reserved: Fetch, DeliveryStart, DeliveryChunk (raw byte payload),
 * DeliveryEnd, Receipt</td><td>not implemented; see {@link MessageType}</td></tr>
 * </table>
 *
 * <p>Every field is required and non-null; unknown JSON fields are refused. The whole payload must
 * also fit the type's {@link MessageType#maxPayload()}: a Hello near its entry limit with long
 * program IDs does not, and {@code encode} refuses it ({@code frame-too-large}).
 */
public sealed interface ChannelMessage
        permits ChannelMessage.Hello, ChannelMessage.HelloAck, ChannelMessage.ErrorMessage, ChannelMessage.Close {

    int MAX_INSTALLED = 1024;
    int MAX_ERROR_MESSAGE = 1024;
    String PROGRAM_ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";
    String VERSION_PATTERN = "[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}";
    String SESSION_ID_PATTERN = "[A-Za-z0-9_-]{1,64}";
    /** The user ID rule of the server's user directory. */
    String USER_ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._@-]{0,63}";
    String ERROR_CODE_PATTERN = "[a-z0-9-]{1,64}";

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
}
