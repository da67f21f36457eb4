package dev.progdist.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.xml.XmlConfiguration;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.ParameterizedMessage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The log layouts of every progdist process ({@code config/log4j2.xml}) and of the tests: a value
 * from a request that holds CR/LF cannot start a new log line, and a huge value cannot make a huge
 * line (a 20 MB form body once became two log lines of 20 million characters).
 */
class LogLayoutTest {

    @ParameterizedTest
    @ValueSource(strings = {"../config/log4j2.xml", "src/test/resources/log4j2-test.xml",
        "../processors/src/test/resources/log4j2-test.xml"})
    void oneEventIsOneBoundedLine(String file) throws Exception {
        Layout<?> layout = consoleLayout(Path.of(file));
        String forged = "alice\r\n12:00:00.000 INFO  [main] d.p.s.ServerMain - operator olga logged in";

        String message = format(layout, event("no such user {}", forged, null));
        assertThat(message).endsWith(System.lineSeparator());
        assertThat(lines(message)).isEqualTo(1);
        assertThat(message).contains("alice\\r\\n12:00:00.000 INFO");

        String huge = format(layout, event("body {}", "x".repeat(1_000_000), null));
        assertThat(lines(huge)).isEqualTo(1);
        assertThat(huge.length()).isLessThan(4200);

        String trace = format(layout, event("failed", "", new IllegalStateException(forged)));
        assertThat(lines(trace)).isEqualTo(1);
        assertThat(trace).contains("failed java.lang.IllegalStateException: alice\\r\\n12:00:00.000")
                .contains("\\n\tat dev.progdist.server.LogLayoutTest");

        String hugeTrace = format(layout, event("failed", "", new IllegalStateException("y".repeat(1_000_000))));
        assertThat(lines(hugeTrace)).isEqualTo(1);
        assertThat(hugeTrace.length()).isLessThan(32_400);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../config/log4j2.xml", "src/test/resources/log4j2-test.xml",
        "../processors/src/test/resources/log4j2-test.xml"})
    void otherLineBreaksAndTerminalEscapesAreEncodedToo(String file) throws Exception {
        Layout<?> layout = consoleLayout(Path.of(file));
        // NEL, LS and PS end a line for some log viewers; ESC starts an ANSI sequence in a terminal
        String hostile = "a\u0085b\u2028c\u2029d\u001B[2J\u001B]0;owned\u0007e";

        String message = format(layout, event("user {}", hostile, null));
        assertThat(message).doesNotContain("\u0085", "\u2028", "\u2029", "\u001B")
                .contains("a\\u0085b\\u2028c\\u2029d\\u001B[2J\\u001B]0;owned");
        String trace = format(layout, event("failed", "", new IllegalStateException(hostile)));
        assertThat(trace).doesNotContain("\u0085", "\u2028", "\u2029", "\u001B")
                .contains("IllegalStateException: a\\u0085b");
        assertThat(lines(trace)).isEqualTo(1);
    }

    private static Layout<?> consoleLayout(Path file) throws Exception {
        assertThat(file).isRegularFile();
        try (InputStream in = Files.newInputStream(file)) {
            Configuration config = new XmlConfiguration(new LoggerContext("layout-test"), new ConfigurationSource(in,
                    file.toFile()));
            config.initialize();
            return config.getAppender("console").getLayout();
        }
    }

    private static LogEvent event(String pattern, String argument, Throwable thrown) {
        return Log4jLogEvent.newBuilder().setLoggerName("dev.progdist.server.Test").setLevel(Level.WARN)
                .setMessage(new ParameterizedMessage(pattern, argument)).setThrown(thrown).build();
    }

    private static String format(Layout<?> layout, LogEvent event) {
        return new String(layout.toByteArray(event), StandardCharsets.UTF_8);
    }

    private static long lines(String text) {
        return text.chars().filter(c -> c == '\n' || c == '\r').count();
    }
}
