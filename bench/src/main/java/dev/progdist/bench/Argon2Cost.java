package dev.progdist.bench;

import dev.progdist.processors.auth.PasswordHasher;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;

/** The Argon2id cost the benchmarked server runs with: set explicitly, never left to whatever config is around. */
public record Argon2Cost(int memoryKiB, int iterations, int parallelism, boolean builtInDefault) {

    public static final String MEMORY = "progdist.auth.argon2.memory-kib";
    public static final String ITERATIONS = "progdist.auth.argon2.iterations";
    public static final String PARALLELISM = "progdist.auth.argon2.parallelism";

    /**
     * The server's built-in default (its shipped {@code server.properties} only: no config
     * directory, environment or system property), with the memory cost replaced if {@code memoryKiB} is given.
     */
    public static Argon2Cost serverDefault(Integer memoryKiB) {
        Properties builtIn = new Properties();
        try (InputStream in = Argon2Cost.class.getClassLoader().getResourceAsStream("server.properties")) {
            if (in == null) {
                throw new IllegalStateException("the server's built-in server.properties is not on the class path");
            }
            builtIn.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int m = Integer.parseInt(builtIn.getProperty(MEMORY).strip());
        int t = Integer.parseInt(builtIn.getProperty(ITERATIONS).strip());
        int p = Integer.parseInt(builtIn.getProperty(PARALLELISM).strip());
        boolean isDefault = memoryKiB == null || memoryKiB == m;
        return new Argon2Cost(memoryKiB == null ? m : memoryKiB, t, p, isDefault);
    }

    public PasswordHasher hasher() {
        return new PasswordHasher(memoryKiB, iterations, parallelism);
    }

    /** Server settings that pin this cost. */
    public Map<String, String> settings() {
        return Map.of(MEMORY, String.valueOf(memoryKiB), ITERATIONS, String.valueOf(iterations),
                PARALLELISM, String.valueOf(parallelism));
    }

    @Override
    public String toString() {
        return "m=" + memoryKiB + " KiB, t=" + iterations + ", p=" + parallelism
                + (builtInDefault ? " (server built-in default)" : " (overridden with --argon2-memory-kib)");
    }
}
