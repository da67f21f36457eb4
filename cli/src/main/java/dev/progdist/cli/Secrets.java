package dev.progdist.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads a user's secret from {@code $PROGDIST_PASSWORD} or from standard input (prompting without
 * echo when a terminal is attached); never from the command line, where other users could see it.
 */
final class Secrets {

    static final String ENV = "PROGDIST_PASSWORD";
    /** The operator's secret where a command also reads another one from {@link #ENV} ({@code user add --operator}). */
    static final String OPERATOR_ENV = "PROGDIST_OPERATOR_PASSWORD";

    /** One reader per standard input, so that a second secret is the pipe's next line. */
    private static InputStream readerSource;
    private static BufferedReader reader;

    private Secrets() {
    }

    static char[] read(String prompt) {
        return read(prompt, ENV);
    }

    /** As {@link #read(String)}, from the environment variable {@code env} instead of {@link #ENV}. */
    static char[] read(String prompt, String env) {
        String fromEnv = System.getenv(env);
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return fromEnv.toCharArray();
        }
        Console console = System.console();
        if (console != null) {
            char[] secret = console.readPassword("%s: ", prompt);
            if (secret != null && secret.length > 0) {
                return secret;
            }
            throw new IllegalArgumentException("no secret given");
        }
        try {
            String line = stdin().readLine();
            if (line == null || line.isEmpty()) {
                throw new IllegalArgumentException("no secret given: set " + env + " or pipe it on standard input");
            }
            return line.toCharArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the secret from standard input", e);
        }
    }

    private static synchronized BufferedReader stdin() {
        if (reader == null || readerSource != System.in) {
            readerSource = System.in;
            reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        }
        return reader;
    }
}
