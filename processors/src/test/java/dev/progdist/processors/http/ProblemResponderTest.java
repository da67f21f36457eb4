package dev.progdist.processors.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.wire.Problem;
import dev.progdist.protocol.wire.ProblemType;
import java.time.Duration;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ProblemResponderTest {

    private static CamelContext context;
    private final ProblemResponder responder = new ProblemResponder();

    @BeforeAll
    static void startCamel() {
        context = new DefaultCamelContext();
        context.build();
    }

    @AfterAll
    static void stopCamel() {
        context.stop();
    }

    private static Exchange failed(Throwable caught) {
        Exchange ex = new DefaultExchange(context);
        ex.getMessage().setHeader("Authorization", "Bearer top-secret-token");
        ex.getMessage().setHeader("Cookie", "s=1");
        ex.getMessage().setHeader(Exchange.HTTP_URI, "/api/v1/sessions");
        ex.getMessage().setBody("{\"userId\":\"alice\",\"password\":\"hunter2\"}");
        ex.setProperty(Exchange.EXCEPTION_CAUGHT, caught);
        return ex;
    }

    private static Problem body(Exchange ex) throws Exception {
        return Json.mapper().readValue(ex.getMessage().getBody(byte[].class), Problem.class);
    }

    @Test
    void problemExceptionBecomesAProblemDocument() throws Exception {
        Exchange ex = failed(new ProblemException(ProblemType.INVALID_FIELD, "unknown field 'role'"));
        responder.respond(ex);
        assertThat(ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(400);
        assertThat(ex.getMessage().getHeader(Exchange.CONTENT_TYPE)).isEqualTo("application/problem+json");
        assertThat(ex.getMessage().getHeader("Cache-Control")).isEqualTo("no-store");
        Problem p = body(ex);
        assertThat(p).isEqualTo(new Problem("urn:progdist:problem:invalid-field", ProblemType.INVALID_FIELD.title(),
                400, "unknown field 'role'", "/api/v1/sessions", "invalid-field"));
    }

    /** The request's headers (its bearer token among them) must not be echoed into the error response. */
    @Test
    void incomingHeadersAreDropped() {
        Exchange ex = failed(new ProblemException(ProblemType.BAD_CREDENTIALS, null));
        responder.respond(ex);
        assertThat(ex.getMessage().getHeaders()).doesNotContainKeys("Authorization", "Cookie", Exchange.HTTP_URI);
        assertThat(ex.getMessage().getHeaders()).containsOnlyKeys(Exchange.HTTP_RESPONSE_CODE, Exchange.CONTENT_TYPE,
                "Cache-Control", "WWW-Authenticate");
        assertThat(new String(ex.getMessage().getBody(byte[].class))).doesNotContain("hunter2")
                .doesNotContain("top-secret-token");
    }

    @Test
    void unauthorizedCarriesWwwAuthenticate() throws Exception {
        Exchange ex = failed(new ProblemException(ProblemType.SESSION_EXPIRED, null));
        responder.respond(ex);
        assertThat(ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(401);
        assertThat(ex.getMessage().getHeader("WWW-Authenticate", String.class)).startsWith("Bearer ");
        assertThat(body(ex).detail()).isEqualTo(ProblemType.SESSION_EXPIRED.title());

        Exchange forbidden = failed(new ProblemException(ProblemType.FORBIDDEN, "no"));
        responder.respond(forbidden);
        assertThat(forbidden.getMessage().getHeaders()).doesNotContainKey("WWW-Authenticate");
    }

    @Test
    void retryAfterIsWholeSecondsRoundedUpAndAtLeastOne() {
        assertThat(retryAfter(Duration.ofMillis(1500))).isEqualTo(2L);
        assertThat(retryAfter(Duration.ofSeconds(2))).isEqualTo(2L);
        assertThat(retryAfter(Duration.ofMillis(1))).isEqualTo(1L);
        assertThat(retryAfter(Duration.ZERO)).isEqualTo(1L);
        assertThat(retryAfter(Duration.ofMinutes(15))).isEqualTo(900L);
        Exchange none = failed(new ProblemException(ProblemType.BAD_CREDENTIALS, null));
        responder.respond(none);
        assertThat(none.getMessage().getHeaders()).doesNotContainKey("Retry-After");
    }

    private Object retryAfter(Duration d) {
        Exchange ex = failed(new ProblemException(ProblemType.LOGIN_THROTTLED, "wait", d));
        responder.respond(ex);
        assertThat(ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(429);
        return ex.getMessage().getHeader("Retry-After");
    }

    @Test
    void wrappedProblemExceptionIsFound() throws Exception {
        Exchange ex = failed(new IllegalStateException("outer",
                new RuntimeException("middle", new ProblemException(ProblemType.BODY_TOO_LARGE, "too big"))));
        responder.respond(ex);
        assertThat(ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(413);
        assertThat(body(ex).code()).isEqualTo("body-too-large");
    }

    /** Anything else is a 500 that tells the caller only an incident id, never the exception's text. */
    @Test
    void otherExceptionsAreInternalErrorsWithoutDetails() throws Exception {
        Exchange ex = failed(new IllegalStateException("jdbc:postgresql://db/progdist password=s3cr3t failed"));
        responder.respond(ex);
        assertThat(ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(500);
        Problem p = body(ex);
        assertThat(p.code()).isEqualTo("internal-error");
        assertThat(p.detail()).matches("the server failed to handle the request; incident [0-9a-f-]{36}");
        String raw = new String(ex.getMessage().getBody(byte[].class));
        assertThat(raw).doesNotContain("s3cr3t").doesNotContain("postgresql").doesNotContain("IllegalState");
    }

    @Test
    void noExceptionAtAllIsAnInternalError() {
        Exchange ex = failed(null);
        responder.respond(ex);
        assertThat(ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(500);
    }

    @Test
    void notFoundNamesMethodAndPath() throws Exception {
        Exchange ex = new DefaultExchange(context);
        ex.getMessage().setHeader(Exchange.HTTP_METHOD, "GET");
        ex.getMessage().setHeader(Exchange.HTTP_PATH, "/api/v1/nothing");
        ex.getMessage().setHeader(Exchange.HTTP_URI, "/api/v1/nothing");
        ex.getMessage().setHeader("Authorization", "Bearer x");
        responder.notFound(ex);
        assertThat(ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(404);
        assertThat(ex.getMessage().getHeaders()).doesNotContainKey("Authorization");
        JsonNode n = Json.mapper().readTree(ex.getMessage().getBody(byte[].class));
        assertThat(n.get("detail").asText()).startsWith("no such resource: GET ").endsWith("/api/v1/nothing");
        assertThat(n.get("type").asText()).isEqualTo("urn:progdist:problem:not-found");
    }
}
