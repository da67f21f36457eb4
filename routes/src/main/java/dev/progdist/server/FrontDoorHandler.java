package dev.progdist.server;

import dev.progdist.protocol.wire.ProblemType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of every request on the HTTPS port, in front of Camel's servlet. It refuses,
 * before any byte of the body is read, what progdist never serves:
 * <ul>
 *   <li>{@code OPTIONS}, {@code TRACE} and methods not in upper case ({@code post}, which Camel
 *       would route as {@code POST}): {@code 405 method-not-allowed};</li>
 *   <li>a bearer token in the query string ({@code Authorization} or {@code access_token}, in any
 *       case or encoding): {@code 400 token-in-query};</li>
 *   <li>{@code multipart/*}, {@code application/x-www-form-urlencoded} and serialized Java bodies,
 *       which the servlet layer would otherwise parse into temporary files or headers:
 *       {@code 415 unsupported-media-type}.</li>
 * </ul>
 * Then it reads small bodies (every body except a large or chunked {@code application/octet-stream}
 * one) itself, without holding a thread while bytes trickle in, and answers {@code 408
 * request-timeout} unless the whole body has arrived within {@link FrontDoorLimits#bodyReadTimeout}
 * ({@code 413 body-too-large} above {@link FrontDoorLimits#maxBufferedBody}). Only a complete body
 * reaches a route. (How many logins run at once is bounded in the login stage, not here: a path
 * matcher here could be bypassed by the spellings Camel's REST matcher accepts.)
 */
final class FrontDoorHandler extends Handler.Wrapper {

    private static final Logger LOG = LoggerFactory.getLogger(FrontDoorHandler.class);
    /**
     * Compared as Camel's header map compares names ({@link String#CASE_INSENSITIVE_ORDER}), so that
     * {@code authorızation} (dotless i), which it takes for {@code Authorization}, is caught too.
     */
    private static final Set<String> TOKEN_PARAMETERS = tokenParameters();

    private static Set<String> tokenParameters() {
        Set<String> names = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        names.addAll(List.of("Authorization", "access_token"));
        return java.util.Collections.unmodifiableSet(names);
    }

    private final FrontDoorLimits limits;

    FrontDoorHandler(FrontDoorLimits limits, Handler next) {
        super(next);
        this.limits = limits;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String method = request.getMethod();
        if ("OPTIONS".equals(method) || "TRACE".equals(method)) {
            return refuse(request, response, callback, ProblemType.METHOD_NOT_ALLOWED,
                    "the API does not answer " + method);
        }
        if (!method.equals(method.toUpperCase(Locale.ROOT))) {
            // methods are case-sensitive (RFC 9110): Camel's servlet would match "post" to a POST route
            return refuse(request, response, callback, ProblemType.METHOD_NOT_ALLOWED,
                    "methods are case-sensitive: the API answers upper-case methods only");
        }
        ProblemType query = checkQuery(request);
        if (query == ProblemType.TOKEN_IN_QUERY) {
            return refuse(request, response, callback, query,
                    "send the bearer token in the Authorization header, not in the URL");
        } else if (query != null) {
            return refuse(request, response, callback, query, "the query string cannot be decoded");
        }
        String mediaType = mediaType(request);
        if (mediaType.startsWith("multipart/") || mediaType.equals("application/x-www-form-urlencoded")
                || mediaType.equals("application/x-java-serialized-object")) {
            return refuse(request, response, callback, ProblemType.UNSUPPORTED_MEDIA_TYPE,
                    "the API takes no " + (mediaType.startsWith("multipart/") ? "multipart" : mediaType)
                            + " bodies: send JSON as application/json");
        }
        if (!buffered(request, mediaType)) {
            return admit(hasBody(request) && limits.minRequestDataRate() > 0 ? new RateCheckedRequest(request)
                    : request, response, callback);
        }
        if (request.getLength() > limits.maxBufferedBody()) {
            return refuse(request, response, callback, ProblemType.BODY_TOO_LARGE,
                    "request bodies other than uploads are at most " + limits.maxBufferedBody() + " bytes");
        }
        new BodyReader(request, response, callback).start();
        return true;
    }

    private static boolean hasBody(Request request) {
        long length = request.getLength();
        return length > 0 || (length < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING));
    }

    /**
     * Whether {@code bytes} received by now are fewer than the minimum data rate asks for, counted
     * from the end of the request's headers after a first second of grace.
     */
    private boolean tooSlow(Request request, long bytes) {
        long elapsedMillis = (System.nanoTime() - request.getHeadersNanoTime()) / 1_000_000;
        return limits.minRequestDataRate() > 0 && elapsedMillis >= 1000
                && bytes * 1000 / elapsedMillis < limits.minRequestDataRate();
    }

    /** Whether the front door reads the body before the route: all but large or chunked uploads. */
    private boolean buffered(Request request, String mediaType) {
        long length = request.getLength();
        if (!hasBody(request)) {
            return false;
        }
        return !mediaType.equals("application/octet-stream") || (length > 0 && length <= limits.maxBufferedBody());
    }

    /** Hands the request (with its body read, or a streamed upload) to the routes. */
    private boolean admit(Request request, Response response, Callback callback) throws Exception {
        Handler next = getHandler();
        return next != null && next.handle(request, response, callback);
    }

    /** {@code token-in-query}, {@code malformed-request} for a query Jetty cannot decode, or null. */
    private static ProblemType checkQuery(Request request) {
        if (request.getHttpURI().getQuery() == null) {
            return null;
        }
        Fields query;
        try {
            query = Request.extractQueryParameters(request);
        } catch (RuntimeException e) {
            return ProblemType.MALFORMED_REQUEST;
        }
        for (String name : query.getNames()) {
            if (TOKEN_PARAMETERS.contains(name.strip())) {
                return ProblemType.TOKEN_IN_QUERY;
            }
        }
        return null;
    }

    private static String mediaType(Request request) {
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        return contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    }

    private static boolean refuse(Request request, Response response, Callback callback, ProblemType type,
            String detail) {
        boolean unreadBody = request.getLength() != 0;
        ProblemResponses.write(response, callback, type, detail, unreadBody);
        return true;
    }

    /**
     * Reads one request body on demand (no thread waits for bytes), within the deadline and the size
     * limit, then passes the request on with the body in memory.
     */
    private final class BodyReader implements Runnable {

        private final Request request;
        private final Response response;
        private final Callback callback;
        private final AtomicBoolean finished = new AtomicBoolean();
        private byte[] body = new byte[0];
        private int size;
        private org.eclipse.jetty.util.thread.Scheduler.Task deadline;

        BodyReader(Request request, Response response, Callback callback) {
            this.request = request;
            this.response = response;
            this.callback = callback;
        }

        void start() {
            deadline = request.getComponents().getScheduler().schedule(this::timedOut, limits.bodyReadTimeout());
            run();
        }

        @Override
        public void run() {
            while (!finished.get()) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    failed(chunk.getFailure());
                    return;
                }
                ByteBuffer bytes = chunk.getByteBuffer();
                int n = bytes.remaining();
                if (size + n > limits.maxBufferedBody()) {
                    chunk.release();
                    if (finish()) {
                        refuse(request, response, callback, ProblemType.BODY_TOO_LARGE,
                                "request bodies other than uploads are at most " + limits.maxBufferedBody() + " bytes");
                    }
                    return;
                }
                if (size + n > body.length) {
                    body = java.util.Arrays.copyOf(body, Math.min(limits.maxBufferedBody(),
                            Math.max(size + n, Math.max(1024, body.length * 2))));
                }
                bytes.get(body, size, n);
                size += n;
                boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    if (finish()) {
                        pass();
                    }
                    return;
                }
                if (tooSlow(request, size)) {
                    if (finish()) {
                        refuse(request, response, callback, ProblemType.REQUEST_TIMEOUT,
                                "the request body arrived too slowly (under " + limits.minRequestDataRate()
                                        + " bytes/s)");
                    }
                    return;
                }
            }
        }

        private boolean finish() {
            if (!finished.compareAndSet(false, true)) {
                return false;
            }
            deadline.cancel();
            return true;
        }

        private void timedOut() {
            if (finish()) {
                refuse(request, response, callback, ProblemType.REQUEST_TIMEOUT,
                        "the request body did not arrive within " + limits.bodyReadTimeout().toSeconds() + " s");
            }
        }

        private void failed(Throwable failure) {
            if (!finish()) {
                return;
            }
            boolean timeout = failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException
                    || (failure instanceof BadMessageException b && b.getCode() == 408);
            if (timeout) {
                refuse(request, response, callback, ProblemType.REQUEST_TIMEOUT,
                        "the request body did not arrive in time");
            } else {
                refuse(request, response, callback, ProblemType.MALFORMED_REQUEST,
                        "the request body could not be read");
            }
        }

        private void pass() {
            Request complete = new BufferedRequest(request, ByteBuffer.wrap(body, 0, size));
            try {
                if (!admit(complete, response, callback)) {
                    callback.failed(new IOException("no handler for " + Request.getPathInContext(request)));
                }
            } catch (Throwable t) {
                LOG.warn("request handling failed: {}", t.toString());
                callback.failed(t);
            }
        }
    }

    /**
     * An upload, streamed to its route: a read that finds no bytes waiting fails once fewer bytes
     * have arrived than the minimum data rate asks for. A stalled upload is ended by the idle timeout.
     */
    private final class RateCheckedRequest extends Request.Wrapper {

        private long received;
        private boolean complete;

        RateCheckedRequest(Request wrapped) {
            super(wrapped);
        }

        @Override
        public Content.Chunk read() {
            Content.Chunk chunk = super.read();
            if (chunk == null) {
                if (!complete && tooSlow(getWrapped(), received)) {
                    return Content.Chunk.from(new TimeoutException("the request body arrived too slowly (under "
                            + limits.minRequestDataRate() + " bytes/s)"), true);
                }
                return null;
            }
            if (chunk.hasRemaining()) {
                received += chunk.remaining();
            }
            complete |= chunk.isLast();
            return chunk;
        }
    }

    /** The request with its body already read: served from memory, once. */
    private static final class BufferedRequest extends Request.Wrapper {

        private Content.Chunk chunk;

        BufferedRequest(Request wrapped, ByteBuffer body) {
            super(wrapped);
            this.chunk = Content.Chunk.from(body, true);
        }

        @Override
        public synchronized Content.Chunk read() {
            Content.Chunk c = chunk;
            chunk = Content.Chunk.EOF;
            return c;
        }

        @Override
        public void demand(Runnable demandCallback) {
            demandCallback.run();
        }

        @Override
        public synchronized boolean consumeAvailable() {
            chunk = Content.Chunk.EOF;
            return true;
        }

        @Override
        public void fail(Throwable failure) {
            // the body is in memory: nothing left to fail
        }
    }
}
