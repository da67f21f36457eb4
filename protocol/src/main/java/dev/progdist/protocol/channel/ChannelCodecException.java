package dev.progdist.protocol.channel;

/**
 * A second-path frame or message was refused, by {@link ChannelCodec#encode} or by a
 * {@link ChannelCodec.Decoder}. {@link #code()} is a stable token, meant for logs, metrics and an
 * {@link ChannelMessage.ErrorMessage} to the peer; the message says what rule was broken.
 *
 * <p>Neither ever contains bytes or text of the refused payload (no field values, no unknown field
 * names, no parser output): the exception carries no cause that could quote it. Header numbers
 * (version, type code, declared length) may appear. Every message is short printable ASCII, so
 * {@code new ErrorMessage(e.code(), e.getMessage())} is always a valid message.
 *
 * <table>
 * <caption>Codes</caption>
 * <tr><th>code</th><th>meaning</th></tr>
 * <tr><td>{@code frame-magic}</td><td>the frame does not start with {@code 0x50 0x44} ("PD")</td></tr>
 * <tr><td>{@code frame-version}</td><td>frame version other than {@value ChannelCodec#VERSION}</td></tr>
 * <tr><td>{@code frame-type}</td><td>type code unknown (unassigned)</td></tr>
 * <tr><td>{@code frame-too-large}</td><td>declared (or, when encoding, actual) payload length above the
 * type's maximum</td></tr>
 * <tr><td>{@code frame-truncated}</td><td>the stream ended inside a frame ({@link ChannelCodec.Decoder#finish()})</td></tr>
 * <tr><td>{@code payload-malformed}</td><td>the payload cannot be read as this type's JSON object: not
 * UTF-8, not JSON, trailing data, duplicate key, not an object, unknown field, missing or null field,
 * wrong JSON type (including a fraction or a string where an integer belongs)</td></tr>
 * <tr><td>{@code payload-invalid}</td><td>the message is well formed but a value breaks a rule (device ID,
 * length, alphabet, base64, digest, size range, list size); an empty DeliveryChunk, refused from the
 * header; when encoding, also a missing ({@code null}) field</td></tr>
 * </table>
 */
public class ChannelCodecException extends RuntimeException {

    public static final String FRAME_MAGIC = ChannelCode.FRAME_MAGIC.label();
    public static final String FRAME_VERSION = ChannelCode.FRAME_VERSION.label();
    public static final String FRAME_TYPE = ChannelCode.FRAME_TYPE.label();
    public static final String FRAME_TOO_LARGE = ChannelCode.FRAME_TOO_LARGE.label();
    public static final String FRAME_TRUNCATED = ChannelCode.FRAME_TRUNCATED.label();
    public static final String PAYLOAD_MALFORMED = ChannelCode.PAYLOAD_MALFORMED.label();
    public static final String PAYLOAD_INVALID = ChannelCode.PAYLOAD_INVALID.label();

    private final String code;

    ChannelCodecException(String code, String message) {
        super(message);
        this.code = code;
    }

    ChannelCodecException(String code, String message, ChannelCodecException cause) {
        super(message, cause);
        this.code = code;
    }

    /** One of the constants of this class, e.g. {@code frame-too-large}. */
    public String code() {
        return code;
    }

    /** The channel code this refusal is sent and recorded as. */
    public ChannelCode reason() {
        return ChannelCode.fromLabel(code).orElseThrow();
    }
}
