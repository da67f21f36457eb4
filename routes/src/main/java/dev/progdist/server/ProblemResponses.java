package dev.progdist.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.wire.Problem;
import dev.progdist.protocol.wire.ProblemType;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Problem documents written straight to Jetty, for answers given before (or instead of) a Camel
 * route: the same RFC 9457 body, headers and codes as the routes' {@code ProblemResponder}.
 */
final class ProblemResponses {

    private ProblemResponses() {
    }

    static byte[] body(ProblemType type, String detail) {
        try {
            return Json.mapper().writeValueAsBytes(Problem.of(type, detail, null));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static void headers(HttpFields.Mutable headers, boolean close) {
        headers.put(HttpHeader.CONTENT_TYPE, ProblemType.MEDIA_TYPE);
        headers.put(HttpHeader.CACHE_CONTROL, "no-store");
        if (close) {
            // the body was not read: the connection cannot carry another request
            headers.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        }
    }

    /** Answers with {@code type}'s status and problem document, and completes {@code callback}. */
    static void write(Response response, Callback callback, ProblemType type, String detail, boolean close) {
        response.setStatus(type.status());
        headers(response.getHeaders(), close);
        response.write(true, ByteBuffer.wrap(body(type, detail)), callback);
    }
}
