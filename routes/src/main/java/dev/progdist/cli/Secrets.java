package dev.progdist.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads a user's secret from {@code $PROGDIST_PASSWORD} or from standard input (prompting without
 * echo when a terminal is attached); never from the command line, where other users could see it.
 */
final class Secrets {

    static final String ENV = "PROGDIST_PASSWORD";

    private Secrets() {
    }

    static char[] read(String prompt) {
        String env = System.getenv(ENV);
        if (env != null && !env.isEmpty()) {
            return env.toCharArray();
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
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isEmpty()) {
                throw new IllegalArgumentException("no secret given: set " + ENV + " or pipe it on standard input");
            }
            return line.toCharArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the secret from standard input", e);
        }
    }
}
