package dev.progdist.server;

import dev.progdist.protocol.wire.ProblemType;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own error answers as problem+json instead of HTML: requests Jetty refuses before any
 * route sees them (an ambiguous URI, headers or a URI too large) and errors its servlet layer sends.
 * Only the status and a fixed text reach the client; Jetty's reason is kept for 400s, as printable
 * ASCII and short, since it names what was wrong ("Ambiguous URI path separator").
 */
final class ProblemErrorHandler extends ErrorHandler {

    static ProblemType forStatus(int status) {
        return switch (status) {
            case 400 -> ProblemType.MALFORMED_REQUEST;
            case 404 -> ProblemType.NOT_FOUND;
            case 405 -> ProblemType.METHOD_NOT_ALLOWED;
            case 408 -> ProblemType.REQUEST_TIMEOUT;
            case 411 -> ProblemType.LENGTH_REQUIRED;
            case 413 -> ProblemType.BODY_TOO_LARGE;
            case 414 -> ProblemType.URI_TOO_LONG;
            case 415 -> ProblemType.UNSUPPORTED_MEDIA_TYPE;
            case 431 -> ProblemType.HEADERS_TOO_LARGE;
            case 503 -> ProblemType.SERVER_BUSY;
            default -> status >= 400 && status < 500 ? ProblemType.MALFORMED_REQUEST : ProblemType.INTERNAL_ERROR;
        };
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        ProblemType type = forStatus(response.getStatus());
        Object reason = request.getAttribute(ERROR_MESSAGE);
        response.reset();
        ProblemResponses.write(response, callback, type, detail(type, reason == null ? null : reason.toString()),
                false);
        return true;
    }

    /** The body for errors Jetty answers without a request (a request line or headers it cannot parse). */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        ProblemType type = forStatus(status);
        ProblemResponses.headers(fields, false);
        return ByteBuffer.wrap(ProblemResponses.body(type, detail(type, reason)));
    }

    static String detail(ProblemType type, String reason) {
        if (type != ProblemType.MALFORMED_REQUEST || reason == null || reason.isBlank()) {
            return type.title();
        }
        String plain = reason.replaceAll("[^\\x20-\\x7E]", "?");
        return plain.length() > 120 ? plain.substring(0, 120) : plain;
    }
}
