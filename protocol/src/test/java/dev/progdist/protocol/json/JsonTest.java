package dev.progdist.protocol.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.progdist.protocol.wire.SessionRequest;
import dev.progdist.protocol.wire.SessionResponse;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JsonTest {

    record Counter(String name, int count) {
    }

    record Stamped(String id, Instant at) {
    }

    /** A request cannot carry fields the server does not expect (mass assignment, typos). */
    @Test
    void unknownPropertyIsRefused() {
        assertThatThrownBy(() -> Json.mapper().readValue(
                "{\"userId\":\"a\",\"password\":\"b\",\"role\":\"operator\"}", SessionRequest.class))
                .isInstanceOfSatisfying(UnrecognizedPropertyException.class,
                        e -> assertThat(e.getPropertyName()).isEqualTo("role"));
    }

    /** Only one document per body: nothing may follow it (request smuggling, confused parsers). */
    @Test
    void trailingTokensAreRefused() throws Exception {
        assertThatThrownBy(() -> Json.mapper().readValue("{\"userId\":\"a\",\"password\":\"b\"} {}",
                SessionRequest.class)).isInstanceOf(MismatchedInputException.class);
        assertThatThrownBy(() -> Json.mapper().readValue("{\"userId\":\"a\",\"password\":\"b\"}]",
                SessionRequest.class)).isInstanceOf(JsonProcessingException.class);
        assertThatThrownBy(() -> Json.mapper().readTree("1 2")).isInstanceOf(JsonProcessingException.class);
        // trailing white space is fine
        assertThat(Json.mapper().readValue("{\"userId\":\"a\",\"password\":\"b\"}  \n", SessionRequest.class).userId())
                .isEqualTo("a");
    }

    /** A field given twice is refused, not "last one wins" (one body read two ways by two parsers). */
    @Test
    void duplicateFieldsAreRefused() {
        assertThatThrownBy(() -> Json.mapper().readValue(
                "{\"userId\":\"alice\",\"userId\":\"bob\",\"password\":\"b\"}", SessionRequest.class))
                .isInstanceOfSatisfying(JsonParseException.class,
                        e -> assertThat(e.getOriginalMessage()).contains("Duplicate field 'userId'"));
        assertThatThrownBy(() -> Json.mapper().readTree("{\"a\":{\"b\":1,\"b\":2}}"))
                .isInstanceOf(JsonParseException.class);
    }

    @Test
    void nullForAPrimitiveIsRefused() {
        assertThatThrownBy(() -> Json.mapper().readValue("{\"name\":\"x\",\"count\":null}", Counter.class))
                .isInstanceOf(MismatchedInputException.class);
    }

    @Test
    void instantRoundTripsAsIso8601String() throws Exception {
        Stamped s = new Stamped("x", Instant.parse("2025-03-04T05:06:07.123456789Z"));
        String json = Json.mapper().writeValueAsString(s);
        assertThat(json).isEqualTo("{\"id\":\"x\",\"at\":\"2025-03-04T05:06:07.123456789Z\"}");
        assertThat(Json.mapper().readValue(json, Stamped.class)).isEqualTo(s);
        assertThat(Json.mapper().readValue("{\"id\":\"x\",\"at\":\"2025-03-04T05:06:07Z\"}", Stamped.class).at())
                .isEqualTo(Instant.parse("2025-03-04T05:06:07Z"));
    }

    @Test
    void nullsAreLeftOut() throws Exception {
        String json = Json.mapper().writeValueAsString(
                new SessionResponse("sid", null, Instant.parse("2025-01-01T00:00:00Z"), "alice", "user"));
        assertThat(json).doesNotContain("token").doesNotContain("null");
    }

    /** The bounds that keep a hostile body from exhausting memory or stack before any size limit. */
    @Test
    void nestingDepthIsBounded() throws Exception {
        String ok = "[".repeat(32) + "]".repeat(32);
        assertThat(Json.mapper().readTree(ok)).isNotNull();
        String deep = "[".repeat(33) + "]".repeat(33);
        assertThatThrownBy(() -> Json.mapper().readTree(deep)).isInstanceOf(StreamConstraintsException.class);
    }

    @Test
    void stringAndNumberLengthsAreBounded() throws Exception {
        String okString = "\"" + "x".repeat(64 * 1024) + "\"";
        assertThat(Json.mapper().readTree(okString).asText()).hasSize(64 * 1024);
        String longString = "\"" + "x".repeat(64 * 1024 + 1) + "\"";
        assertThatThrownBy(() -> Json.mapper().readTree(longString)).isInstanceOf(StreamConstraintsException.class);
        JsonNode n = Json.mapper().readTree("1" + "0".repeat(31));
        assertThat(n.isNumber()).isTrue();
        assertThatThrownBy(() -> Json.mapper().readTree("1" + "0".repeat(1000)))
                .isInstanceOf(StreamConstraintsException.class);
    }

    @Test
    void theMapperIsShared() {
        assertThat(Json.mapper()).isSameAs(Json.mapper());
    }
}
