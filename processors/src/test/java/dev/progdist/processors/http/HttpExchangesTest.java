package dev.progdist.processors.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.wire.ProblemType;
import dev.progdist.protocol.wire.SessionRequest;
import dev.progdist.protocol.wire.SessionResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HttpExchangesTest {

    private static final int LIMIT = 4096;
    private static final String VALID = "{\"userId\":\"alice\",\"password\":\"secret\"}";

    private static CamelContext context;

    @BeforeAll
    static void startCamel() {
        context = new DefaultCamelContext();
        context.build(); // type converters, without starting routes or languages
    }

    @AfterAll
    static void stopCamel() {
        context.stop();
    }

    static Exchange exchange(String contentType, Object body) {
        Exchange ex = new DefaultExchange(context);
        if (contentType != null) {
            ex.getMessage().setHeader(Exchange.CONTENT_TYPE, contentType);
        }
        ex.getMessage().setBody(body);
        return ex;
    }

    private static Exchange json(Object body) {
        return exchange("application/json", body);
    }

    static void assertProblem(Executable call, ProblemType type, String messagePart) {
        assertThatThrownBy(call::execute).isInstanceOfSatisfying(ProblemException.class, e -> {
            assertThat(e.type()).isEqualTo(type);
            if (messagePart != null) {
                assertThat(e.getMessage()).contains(messagePart);
            }
        });
    }

    /** A body that fails the test if anything reads it. */
    private static InputStream untouchable() {
        return new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the body must not be read");
            }

            @Override
            public int read(byte[] b, int off, int len) {
                throw new AssertionError("the body must not be read");
            }
        };
    }

    /** An endless body that counts what was read from it. */
    private static InputStream endless(AtomicLong read) {
        return new InputStream() {
            @Override
            public int read() {
                read.incrementAndGet();
                return ' ';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) ' ');
                read.addAndGet(len);
                return len;
            }
        };
    }

    // --- happy path ---

    @Test
    void readsARecord() {
        SessionRequest r = HttpExchanges.readJson(json(VALID.getBytes(StandardCharsets.UTF_8)), SessionRequest.class,
                LIMIT);
        assertThat(r.userId()).isEqualTo("alice");
        assertThat(r.password()).isEqualTo("secret");
    }

    @Test
    void aFieldGivenTwiceIsMalformedJsonNamingTheField() {
        assertProblem(() -> HttpExchanges.readJson(json("{\"userId\":\"alice\",\"userId\":\"bob\",\"password\":\"x\"}"),
                SessionRequest.class, LIMIT), ProblemType.MALFORMED_JSON, "field 'userId' appears more than once");
    }

    @Test
    void readsStringAndStreamBodies() {
        assertThat(HttpExchanges.readJson(json(VALID), SessionRequest.class, LIMIT).userId()).isEqualTo("alice");
        assertThat(HttpExchanges.readJson(json(new ByteArrayInputStream(VALID.getBytes(StandardCharsets.UTF_8))),
                SessionRequest.class, LIMIT).password()).isEqualTo("secret");
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "application/json; charset=utf-8", "Application/JSON",
        " application/json"})
    void acceptsJsonContentTypes(String contentType) {
        assertThat(HttpExchanges.readJson(exchange(contentType, VALID), SessionRequest.class, LIMIT).userId())
                .isEqualTo("alice");
    }

    // --- size limits: protect memory against huge bodies ---

    @Test
    void declaredContentLengthOverTheLimitIsRefusedBeforeReading() {
        Exchange ex = json(untouchable());
        ex.getMessage().setHeader(Exchange.CONTENT_LENGTH, String.valueOf(LIMIT + 1));
        assertProblem(() -> HttpExchanges.readJson(ex, SessionRequest.class, LIMIT), ProblemType.BODY_TOO_LARGE,
                String.valueOf(LIMIT));

        Exchange ex2 = json(untouchable());
        ex2.getMessage().setHeader(Exchange.CONTENT_LENGTH, 10L * 1024 * 1024 * 1024);
        assertProblem(() -> HttpExchanges.readBounded(ex2, LIMIT), ProblemType.BODY_TOO_LARGE, null);
    }

    @Test
    void streamLongerThanTheLimitIsRefused() {
        byte[] big = new byte[LIMIT + 1];
        java.util.Arrays.fill(big, (byte) ' ');
        assertProblem(() -> HttpExchanges.readJson(json(new ByteArrayInputStream(big)), SessionRequest.class, LIMIT),
                ProblemType.BODY_TOO_LARGE, null);
    }

    /** A chunked body with no Content-Length (or a lying one) is cut off while reading, not read to the end. */
    @Test
    void endlessStreamIsCutOffEarly() {
        AtomicLong read = new AtomicLong();
        Exchange ex = json(endless(read));
        ex.getMessage().setHeader(Exchange.CONTENT_LENGTH, "10"); // a lie
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertProblem(
                () -> HttpExchanges.readJson(ex, SessionRequest.class, LIMIT), ProblemType.BODY_TOO_LARGE, null));
        assertThat(read.get()).isGreaterThan(LIMIT).isLessThanOrEqualTo(LIMIT + 8192);
    }

    @Test
    void bodyOfExactlyTheLimitIsAcceptedInEveryForm() {
        String exact = VALID + " ".repeat(LIMIT - VALID.length());
        byte[] bytes = exact.getBytes(StandardCharsets.UTF_8);
        assertThat(bytes).hasSize(LIMIT);

        assertThat(HttpExchanges.readJson(json(bytes), SessionRequest.class, LIMIT).userId()).isEqualTo("alice");
        assertThat(HttpExchanges.readJson(json(exact), SessionRequest.class, LIMIT).userId()).isEqualTo("alice");
        assertThat(HttpExchanges.readJson(json(new ByteArrayInputStream(bytes)), SessionRequest.class, LIMIT)
                .userId()).isEqualTo("alice");
        Exchange declared = json(bytes);
        declared.getMessage().setHeader(Exchange.CONTENT_LENGTH, (long) LIMIT);
        assertThat(HttpExchanges.readJson(declared, SessionRequest.class, LIMIT).userId()).isEqualTo("alice");
    }

    @Test
    void oneByteOverTheLimitIsRefusedInEveryForm() {
        String over = VALID + " ".repeat(LIMIT - VALID.length() + 1);
        byte[] bytes = over.getBytes(StandardCharsets.UTF_8);
        assertProblem(() -> HttpExchanges.readJson(json(bytes), SessionRequest.class, LIMIT),
                ProblemType.BODY_TOO_LARGE, null);
        assertProblem(() -> HttpExchanges.readJson(json(over), SessionRequest.class, LIMIT),
                ProblemType.BODY_TOO_LARGE, null);
        assertProblem(() -> HttpExchanges.readJson(json(new ByteArrayInputStream(bytes)), SessionRequest.class,
                LIMIT), ProblemType.BODY_TOO_LARGE, null);
    }

    /** The limit is in bytes: a String body of few but multi-byte characters is measured in UTF-8. */
    @Test
    void stringBodyLimitCountsUtf8Bytes() {
        String body = "{\"userId\":\"alice\",\"password\":\"" + "\u20ac".repeat(LIMIT / 3) + "\"}";
        assertThat(body.length()).isLessThan(LIMIT);
        assertProblem(() -> HttpExchanges.readJson(json(body), SessionRequest.class, LIMIT),
                ProblemType.BODY_TOO_LARGE, null);
    }

    /** A negative Content-Length is not trusted as a bound: the body is still read with the limit. */
    @Test
    void negativeContentLengthStillReadsBounded() {
        Exchange ex = json(VALID);
        ex.getMessage().setHeader(Exchange.CONTENT_LENGTH, "-5");
        assertThat(HttpExchanges.readJson(ex, SessionRequest.class, LIMIT).userId()).isEqualTo("alice");
        AtomicLong read = new AtomicLong();
        Exchange endless = json(endless(read));
        endless.getMessage().setHeader(Exchange.CONTENT_LENGTH, -1L);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertProblem(
                () -> HttpExchanges.readBounded(endless, LIMIT), ProblemType.BODY_TOO_LARGE, null));
    }

    @Test
    void nonNumericContentLengthIsAProblem() {
        Exchange ex = json(VALID);
        ex.getMessage().setHeader(Exchange.CONTENT_LENGTH, "abc");
        assertThatThrownBy(() -> HttpExchanges.readJson(ex, SessionRequest.class, LIMIT))
                .isInstanceOf(ProblemException.class);
    }

    @Test
    void readBoundedOfNoBodyIsEmpty() {
        assertThat(HttpExchanges.readBounded(json(null), LIMIT)).isEmpty();
    }

    @Test
    void unreadableStreamIsAProblemNotAnIoError() {
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        };
        assertProblem(() -> HttpExchanges.readJson(json(broken), SessionRequest.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
    }

    // --- media type ---

    @ParameterizedTest
    @ValueSource(strings = {"", "text/plain", "application/xml", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "text/json", "json"})
    void wrongContentTypeIsRefusedBeforeReading(String contentType) {
        assertProblem(() -> HttpExchanges.readJson(exchange(contentType, untouchable()), SessionRequest.class, LIMIT),
                ProblemType.UNSUPPORTED_MEDIA_TYPE, null);
    }

    @Test
    void missingContentTypeIsRefused() {
        assertProblem(() -> HttpExchanges.readJson(exchange(null, VALID), SessionRequest.class, LIMIT),
                ProblemType.UNSUPPORTED_MEDIA_TYPE, null);
    }

    // --- shape of the body ---

    @Test
    void missingRecordComponentIsNamed() {
        assertProblem(() -> HttpExchanges.readJson(json("{\"userId\":\"alice\"}"), SessionRequest.class, LIMIT),
                ProblemType.MISSING_FIELD, "'password'");
        assertProblem(() -> HttpExchanges.readJson(json("{\"password\":\"x\"}"), SessionRequest.class, LIMIT),
                ProblemType.MISSING_FIELD, "'userId'");
        assertProblem(() -> HttpExchanges.readJson(json("{\"userId\":null,\"password\":\"x\"}"),
                SessionRequest.class, LIMIT), ProblemType.MISSING_FIELD, "'userId'");
        assertProblem(() -> HttpExchanges.readJson(json("{}"), SessionRequest.class, LIMIT),
                ProblemType.MISSING_FIELD, null);
    }

    /** Unknown properties are refused, so a caller cannot smuggle e.g. a role into a request. */
    @Test
    void unknownPropertyIsNamed() {
        assertProblem(() -> HttpExchanges.readJson(json("{\"userId\":\"a\",\"password\":\"b\",\"role\":\"operator\"}"),
                SessionRequest.class, LIMIT), ProblemType.INVALID_FIELD, "'role'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"null", "\"alice\"", "42", "[]", "[" + VALID + "]", "{", "{\"userId\":\"a\",",
        VALID + " {}", VALID + "x", "{\"userId\":{},\"password\":\"b\"}", "{\"userId\":[\"a\"],\"password\":\"b\"}",
        "{'userId':'a','password':'b'}", "{userId:\"a\",password:\"b\"}", "\u0000", "   "})
    void malformedBodiesAreMalformedJson(String body) {
        assertProblem(() -> HttpExchanges.readJson(json(body), SessionRequest.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
    }

    @Test
    void emptyBodyIsMalformedJson() {
        assertProblem(() -> HttpExchanges.readJson(json(new byte[0]), SessionRequest.class, LIMIT),
                ProblemType.MALFORMED_JSON, "empty");
        assertProblem(() -> HttpExchanges.readJson(json(null), SessionRequest.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
    }

    @Test
    void invalidUtf8IsMalformedJson() {
        byte[] body = {'{', '"', 'u', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertProblem(() -> HttpExchanges.readJson(json(body), SessionRequest.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
    }

    /** A record with a free-form value, where nesting is parsed rather than refused at the first token. */
    record Anything(Object value) {
    }

    /** Deep nesting must be refused by the depth limit, not overflow the parser's or binder's stack. */
    @Test
    void deepNestingIsMalformedJsonNotStackOverflow() {
        String top = "[".repeat(1000) + "]".repeat(1000);
        assertThat(top.length()).isLessThan(LIMIT);
        assertProblem(() -> HttpExchanges.readJson(json(top), SessionRequest.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
        assertProblem(() -> HttpExchanges.readJson(json(top), JsonNode.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
        String inField = "{\"userId\":" + "[".repeat(1000) + "]".repeat(1000) + ",\"password\":\"x\"}";
        assertProblem(() -> HttpExchanges.readJson(json(inField), SessionRequest.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
        String objects = "{\"a\":".repeat(600) + "1" + "}".repeat(600);
        assertThat(objects.length()).isLessThan(LIMIT);
        assertProblem(() -> HttpExchanges.readJson(json(objects), JsonNode.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
        // far deeper than any stack, within a larger limit
        String huge = "[".repeat(500_000);
        assertProblem(() -> HttpExchanges.readJson(json(huge), JsonNode.class, 1_000_000),
                ProblemType.MALFORMED_JSON, null);
    }

    /**
     * The same inside a record component that takes free-form JSON (Object, JsonNode,
     * Map&lt;String, Object&gt;, List&lt;Object&gt;): Jackson then reports the depth limit wrapped in a
     * JsonMappingException without a location.
     */
    @Test
    void deepNestingInAFreeFormComponentIsMalformedJson() {
        String nested = "{\"value\":" + "[".repeat(1000) + "]".repeat(1000) + "}";
        assertThat(nested.length()).isLessThan(LIMIT);
        assertProblem(() -> HttpExchanges.readJson(json(nested), Anything.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
        String objects = "{\"value\":" + "{\"a\":".repeat(600) + "1" + "}".repeat(600) + "}";
        assertProblem(() -> HttpExchanges.readJson(json(objects), Anything.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
        assertProblem(() -> HttpExchanges.readJson(json(nested), AnyNode.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
    }

    record AnyNode(JsonNode value) {
    }

    @Test
    void nestingWithinTheLimitIsFine() {
        String ok = "{\"value\":" + "[".repeat(20) + "]".repeat(20) + "}";
        assertThat(HttpExchanges.readJson(json(ok), Anything.class, LIMIT).value()).isNotNull();
    }

    /**
     * Bodies that Jackson reads as UTF-32 (it guesses the encoding from zero bytes) and that are
     * not valid UTF-32 must be a 400, like any other malformed body.
     */
    @Test
    void invalidUtf32IsMalformedJson() {
        byte[] truncatedUtf32 = {0, 0, 0, '{', 0};
        assertProblem(() -> HttpExchanges.readJson(json(truncatedUtf32), SessionRequest.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
        byte[] outOfRange = {0, 0, 0, '{', 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertProblem(() -> HttpExchanges.readJson(json(outOfRange), SessionRequest.class, LIMIT),
                ProblemType.MALFORMED_JSON, null);
    }

    // --- replies ---

    /** The HTTP consumer echoes message headers: a reply must not carry the request's headers back. */
    @Test
    void replyJsonDropsAllIncomingHeaders() throws Exception {
        Exchange ex = json(VALID);
        ex.getMessage().setHeader("Authorization", "Bearer top-secret-token");
        ex.getMessage().setHeader("Cookie", "session=abc");
        ex.getMessage().setHeader("X-Forwarded-For", "10.0.0.1");
        ex.getMessage().setHeader(Exchange.HTTP_URI, "/api/v1/sessions");
        ex.getMessage().setHeader(Exchange.CONTENT_LENGTH, 42);
        SessionResponse value = new SessionResponse("sid", "tok", Instant.parse("2025-01-01T00:15:00Z"), "alice",
                "user");

        HttpExchanges.replyJson(ex, 201, value);

        assertThat(ex.getMessage().getHeaders()).containsOnlyKeys(Exchange.HTTP_RESPONSE_CODE, Exchange.CONTENT_TYPE,
                "Cache-Control");
        assertThat(ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(201);
        assertThat(ex.getMessage().getHeader(Exchange.CONTENT_TYPE)).isEqualTo("application/json");
        assertThat(ex.getMessage().getHeader("Cache-Control")).isEqualTo("no-store");
        byte[] body = ex.getMessage().getBody(byte[].class);
        assertThat(Json.mapper().readValue(body, SessionResponse.class)).isEqualTo(value);
        assertThat(new String(body, StandardCharsets.UTF_8)).contains("\"expiresAt\":\"2025-01-01T00:15:00Z\"");
    }

    @Test
    void replyEmptyDropsAllIncomingHeaders() {
        Exchange ex = json(VALID);
        ex.getMessage().setHeader("Authorization", "Bearer top-secret-token");
        ex.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        HttpExchanges.replyEmpty(ex, 204);
        assertThat(ex.getMessage().getHeaders()).containsOnlyKeys(Exchange.HTTP_RESPONSE_CODE, "Cache-Control");
        assertThat(ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(204);
        assertThat(ex.getMessage().getBody()).isNull();
    }
}
