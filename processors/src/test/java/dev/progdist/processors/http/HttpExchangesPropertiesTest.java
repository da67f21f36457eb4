package dev.progdist.processors.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.protocol.wire.SessionRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Disabled;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;

/**
 * Whatever a client sends to a JSON endpoint, the result is either a complete request or a
 * {@link ProblemException} (a 4xx problem document): never another exception, which becomes a
 * 500 with a logged stack trace (and, for a parser bug, possibly worse).
 */
class HttpExchangesPropertiesTest {

    private static final int LIMIT = 4096;

    private static CamelContext context;

    @BeforeContainer
    static void startCamel() {
        context = new DefaultCamelContext();
        context.build(); // type converters, without starting routes or languages
    }

    @AfterContainer
    static void stopCamel() {
        context.stop();
    }

    private static void check(byte[] body) {
        Exchange ex = new DefaultExchange(context);
        ex.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        ex.getMessage().setBody(body);
        try {
            SessionRequest r = HttpExchanges.readJson(ex, SessionRequest.class, LIMIT);
            assertThat(r.userId()).isNotNull();
            assertThat(r.password()).isNotNull();
        } catch (ProblemException expected) {
            assertThat(expected.type()).isNotNull();
            assertThat(expected.type().status()).isBetween(400, 499);
        }
    }

    /** Arbitrary bytes up to 8 KiB (twice the limit) as an application/json body. */
    @Property(tries = 2000)
    void arbitraryBytesGiveARequestOrAProblem(@ForAll @Size(max = 8192) byte[] body) {
        check(body);
    }

    @Property(tries = 500)
    void utf32LookingBytesGiveARequestOrAProblem(@ForAll("utf32Looking") byte[] body) {
        check(body);
    }

    /** Random byte arrays rarely get past the first token: these are JSON-like, to reach deeper paths. */
    @Property(tries = 2000)
    void jsonLikeBodiesGiveARequestOrAProblem(@ForAll("jsonLike") String body) {
        check(body.getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<String> jsonLike() {
        List<String> tokens = List.of("{", "}", "[", "]", ":", ",", "\"userId\"", "\"password\"", "\"role\"",
                "\"alice\"", "\"\"", "null", "true", "false", "0", "-1", "1e999", "1.5",
                "12345678901234567890123456789012345", "\"\\u0000\"", "\"\\ud800\"", "\"\\x\"", " ", "\n", "/*", "//",
                "'", "\"", "\\", "NaN", "\u20ac", "\"userId\":\"alice\"", "\"password\":\"secret\"",
                "{\"userId\":\"a\",\"password\":\"b\"}");
        return Arbitraries.of(tokens).list().ofMaxSize(60).map(l -> String.join("", l));
    }

    @Provide
    Arbitrary<byte[]> utf32Looking() {
        Arbitrary<byte[]> prefix = Arbitraries.of(
                new byte[] {0, 0, 0, '{'}, new byte[] {'{', 0, 0, 0}, new byte[] {0, '{', 0, 0},
                new byte[] {0, 0, '{', 0}, new byte[] {0, 0, (byte) 0xFE, (byte) 0xFF},
                new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 0});
        Arbitrary<byte[]> rest = Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
        return Combinators.combine(prefix, rest).as((p, r) -> {
            byte[] all = new byte[p.length + r.length];
            System.arraycopy(p, 0, all, 0, p.length);
            System.arraycopy(r, 0, all, p.length, r.length);
            return all;
        });
    }
}
