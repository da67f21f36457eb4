package dev.progdist.processors.http;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.wire.ProblemType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.Locale;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Reading requests and writing responses of the HTTP API, with the limits every endpoint needs.
 * The HTTP consumer copies message headers into the response, so every reply first drops all
 * headers (the request's {@code Authorization} among them) and then sets only its own.
 */
public final class HttpExchanges {

    private HttpExchanges() {
    }

    /**
     * Reads the body as JSON of type {@code type} (a record), reading at most {@code maxBytes}.
     *
     * @throws ProblemException {@code unsupported-media-type}, {@code body-too-large},
     *                          {@code malformed-json}, {@code invalid-field} or {@code missing-field}
     */
    public static <T> T readJson(Exchange exchange, Class<T> type, int maxBytes) {
        return readJson(exchange, type, maxBytes, null);
    }

    /**
     * As {@link #readJson(Exchange, Class, int)}, but only the record components named in
     * {@code required} must be present; the others may be absent or null (a request with optional
     * fields, such as a rollout's settings).
     */
    public static <T> T readJson(Exchange exchange, Class<T> type, int maxBytes, java.util.Set<String> required) {
        Message in = exchange.getMessage();
        String contentType = in.getHeader(Exchange.CONTENT_TYPE, String.class);
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json")) {
            throw new ProblemException(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                    "send the body with Content-Type: application/json");
        }
        byte[] body = readBounded(exchange, maxBytes);
        if (body.length == 0) {
            throw new ProblemException(ProblemType.MALFORMED_JSON, "the request body is empty");
        }
        T value;
        try {
            value = Json.mapper().readValue(body, type);
        } catch (UnrecognizedPropertyException e) {
            throw new ProblemException(ProblemType.INVALID_FIELD, "unknown field '" + e.getPropertyName() + "'");
        } catch (StreamConstraintsException e) {
            throw new ProblemException(ProblemType.MALFORMED_JSON, "a value in the body is too long or too deep");
        } catch (MismatchedInputException e) {
            String field = e.getPath().isEmpty() ? null : e.getPath().get(e.getPath().size() - 1).getFieldName();
            throw new ProblemException(ProblemType.MALFORMED_JSON, field == null
                    ? "the body must be a JSON object" : "field '" + field + "' has the wrong type");
        } catch (JsonParseException e) {
            // Json refuses a field given twice: with "last one wins" a body would mean what the last
            // copy says to us and perhaps what the first says to a proxy or a log reader
            String duplicate = duplicateField(e);
            throw new ProblemException(ProblemType.MALFORMED_JSON, duplicate != null
                    ? "field '" + duplicate + "' appears more than once"
                    : notValidJson(e));
        } catch (JsonProcessingException e) {
            throw new ProblemException(ProblemType.MALFORMED_JSON, notValidJson(e));
        } catch (IOException e) {
            // e.g. CharConversionException: bytes that are not valid in the encoding Jackson detected
            throw new ProblemException(ProblemType.MALFORMED_JSON, "the body is not valid UTF-8 JSON");
        }
        if (value == null) {
            throw new ProblemException(ProblemType.MALFORMED_JSON, "the body must be a JSON object");
        }
        if (type.isRecord()) {
            for (RecordComponent rc : type.getRecordComponents()) {
                try {
                    if ((required == null || required.contains(rc.getName())) && rc.getAccessor().invoke(value) == null) {
                        throw new ProblemException(ProblemType.MISSING_FIELD,
                                "field '" + rc.getName() + "' is required");
                    }
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return value;
    }

    /**
     * The body as bytes, refusing with {@code body-too-large} as soon as it is known to exceed
     * {@code maxBytes}: from {@code Content-Length} before reading, or while reading a chunked body.
     * On the server, the HTTP front door has already read every body but an upload, within its
     * deadline ({@code progdist.server.body-read-timeout}), so for those this does not wait on the
     * network; an upload's reads are bounded by the minimum data rate and the idle timeout.
     */
    public static byte[] readBounded(Exchange exchange, int maxBytes) {
        Message in = exchange.getMessage();
        Object lengthHeader = in.getHeader(Exchange.CONTENT_LENGTH);
        long declared = -1;
        if (lengthHeader instanceof Number n) {
            declared = n.longValue();
        } else if (lengthHeader != null) {
            try {
                declared = Long.parseLong(lengthHeader.toString().strip());
            } catch (NumberFormatException e) {
                throw new ProblemException(ProblemType.MALFORMED_REQUEST, "the Content-Length header is not a number");
            }
        }
        if (declared > maxBytes) {
            throw tooLarge(maxBytes);
        }
        Object body = in.getBody();
        if (body == null) {
            return new byte[0];
        }
        if (body instanceof byte[] bytes) {
            if (bytes.length > maxBytes) {
                throw tooLarge(maxBytes);
            }
            return bytes;
        }
        if (body instanceof String s) {
            byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (bytes.length > maxBytes) {
                throw tooLarge(maxBytes);
            }
            return bytes;
        }
        InputStream stream = in.getBody(InputStream.class);
        if (stream == null) {
            return new byte[0];
        }
        try (stream) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxBytes, 8192));
            byte[] buf = new byte[8192];
            int total = 0;
            int n;
            while ((n = stream.read(buf)) != -1) {
                total += n;
                if (total > maxBytes) {
                    throw tooLarge(maxBytes);
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new ProblemException(ProblemType.MALFORMED_JSON, "the request body could not be read");
        }
    }

    /** Replaces the response with {@code value} as JSON and the given status. */
    public static void replyJson(Exchange exchange, int status, Object value) {
        Message out = exchange.getMessage();
        out.removeHeaders("*");
        try {
            out.setBody(Json.mapper().writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise response", e);
        }
        out.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        out.setHeader(Exchange.CONTENT_TYPE, "application/json");
        out.setHeader("Cache-Control", "no-store");
    }

    /** Replaces the response with an empty body and the given status (e.g. 204). */
    public static void replyEmpty(Exchange exchange, int status) {
        Message out = exchange.getMessage();
        out.removeHeaders("*");
        out.setBody(null);
        out.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        out.setHeader("Cache-Control", "no-store");
    }

    private static String notValidJson(JsonProcessingException e) {
        return e.getLocation() == null
                ? "the body is not valid JSON"
                : "the body is not valid JSON (line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr() + ")";
    }

    /** The field name of Jackson's duplicate-detection failure, if it is one and the name is plain. */
    private static String duplicateField(JsonParseException e) {
        String m = e.getOriginalMessage();
        String prefix = "Duplicate field '";
        if (m == null || !m.startsWith(prefix) || m.indexOf('\'', prefix.length()) < 0) {
            return null;
        }
        String name = m.substring(prefix.length(), m.indexOf('\'', prefix.length()));
        return name.matches("[A-Za-z0-9_-]{1,64}") ? name : "(a field)";
    }

    private static ProblemException tooLarge(int maxBytes) {
        return new ProblemException(ProblemType.BODY_TOO_LARGE, "this endpoint accepts at most " + maxBytes + " bytes");
    }
}
