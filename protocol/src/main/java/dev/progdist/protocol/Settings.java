package dev.progdist.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The one way every progdist app reads its settings, lowest precedence first:
 * <ol>
 * <li>the defaults shipped in the app ({@code classpath:<app>.properties});</li>
 * <li>the integrator's overrides, {@code <configDir>/<app>.properties} ({@code configDir} is the
 * system property {@code progdist.config.dir}, else {@code $PROGDIST_CONFIG_DIR}, else {@code ./config});</li>
 * <li>environment variables: {@code progdist.server.port} is overridden by {@code PROGDIST_SERVER_PORT};</li>
 * <li>JVM system properties and command-line options.</li>
 * </ol>
 * The result is handed to Camel as its properties, so YAML routes see the same values as
 * {@code {{placeholders}}}.
 */
public final class Settings {

    private Settings() {
    }

    public static Path configDir() {
        String dir = System.getProperty("progdist.config.dir");
        if (dir == null || dir.isBlank()) {
            dir = System.getenv("PROGDIST_CONFIG_DIR");
        }
        return Path.of(dir == null || dir.isBlank() ? "config" : dir);
    }

    public static Properties load(String app, Map<String, String> overrides) {
        return load(app, configDir(), System.getenv(), overrides);
    }

    public static Properties load(String app, Path configDir, Map<String, String> env, Map<String, String> overrides) {
        Properties props = new Properties();
        try (InputStream in = Settings.class.getClassLoader().getResourceAsStream(app + ".properties")) {
            if (in == null) {
                throw new IllegalStateException("missing built-in settings " + app + ".properties");
            }
            props.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path file = configDir.resolve(app + ".properties");
        if (Files.isRegularFile(file)) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                props.load(r);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
        for (String key : props.stringPropertyNames()) {
            String value = env.get(environmentName(key));
            if (value != null) {
                props.setProperty(key, value);
            }
        }
        for (String key : props.stringPropertyNames()) {
            String value = System.getProperty(key);
            if (value != null) {
                props.setProperty(key, value);
            }
        }
        if (overrides != null) {
            overrides.forEach((k, v) -> {
                if (v != null) {
                    props.setProperty(k, v);
                }
            });
        }
        return props;
    }

    /** {@code progdist.server.port} → {@code PROGDIST_SERVER_PORT}. */
    public static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
