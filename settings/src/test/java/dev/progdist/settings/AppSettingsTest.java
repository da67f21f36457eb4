package dev.progdist.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layers of {@link AppSettings}, through Camel's properties component: built-in defaults, the
 * integrator's file, environment variables, JVM system properties, command-line options, each
 * winning over the ones before it. The environment and the system properties are fakes handed in
 * as {@link AppSettings.Sources}; each app's own test checks the same through its real main.
 */
class AppSettingsTest {

    /** Defaults on the test classpath: {@code progdist-settings-test.properties}. */
    private static final String APP = "progdist-settings-test";

    @TempDir
    Path configDir;

    private final Map<String, String> env = new HashMap<>();
    private final Properties system = new Properties();

    private AppSettings.Sources sources() {
        return new AppSettings.Sources(configDir, system::getProperty, env::get);
    }

    private void writeConfig(String text) throws IOException {
        Files.writeString(configDir.resolve(APP + ".properties"), text, StandardCharsets.UTF_8);
    }

    private Function<String, String> read(Map<String, String> overrides) {
        return AppSettings.read(APP, overrides, sources());
    }

    @Test
    void precedenceIsDefaultsThenFileThenEnvThenSystemPropertiesThenOverrides() throws IOException {
        writeConfig("settings-test.b=file-b\nsettings-test.c=file-c\nsettings-test.d=file-d\nsettings-test.e=file-e\n");
        env.put("SETTINGS_TEST_C", "env-c");
        env.put("SETTINGS_TEST_D", "env-d");
        env.put("SETTINGS_TEST_E", "env-e");
        system.setProperty("settings-test.d", "sys-d");
        system.setProperty("settings-test.e", "sys-e");
        Function<String, String> p = read(Map.of("settings-test.e", "override-e"));
        assertThat(p.apply("settings-test.a")).isEqualTo("default-a");
        assertThat(p.apply("settings-test.b")).isEqualTo("file-b");
        assertThat(p.apply("settings-test.c")).isEqualTo("env-c");
        assertThat(p.apply("settings-test.d")).isEqualTo("sys-d");
        assertThat(p.apply("settings-test.e")).isEqualTo("override-e");
    }

    @Test
    void theSameLayersThroughCamelMainAndItsPlaceholders() throws Exception {
        writeConfig("settings-test.b=file-b\nsettings-test.c=file-c\nsettings-test.d=file-d\n");
        env.put("SETTINGS_TEST_C", "env-c");
        env.put("SETTINGS_TEST_D", "env-d");
        env.put("SETTINGS_TEST_E", "env-e");
        system.setProperty("settings-test.d", "sys-d");
        system.setProperty("settings-test.e", "sys-e");
        Main main = AppSettings.newMain(APP, Map.of("settings-test.e", "override-e"), sources());
        Map<String, String> seen = new HashMap<>();
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterConfigure(BaseMainSupport m) {
                var pc = m.getCamelContext().getPropertiesComponent();
                seen.put("placeholders", m.getCamelContext().resolvePropertyPlaceholders(
                        "{{settings-test.a}} {{settings-test.b}} {{settings-test.c}} {{settings-test.d}} {{settings-test.e}}"));
                seen.put("env-mode", String.valueOf(
                        ((org.apache.camel.component.properties.PropertiesComponent) pc).getEnvironmentVariableMode()));
            }
        });
        main.start();
        try {
            assertThat(seen.get("placeholders")).isEqualTo("default-a file-b env-c sys-d override-e");
            // Camel's own environment mode would put the environment above the command line
            assertThat(seen.get("env-mode")).isEqualTo("0");
        } finally {
            main.stop();
        }
    }

    @Test
    void defaultsAloneWithoutConfigFile() {
        Function<String, String> p = AppSettings.read(APP, Map.of(),
                new AppSettings.Sources(configDir.resolve("does-not-exist"), k -> null, k -> null));
        assertThat(p.apply("settings-test.a")).isEqualTo("default-a");
        assertThat(p.apply("settings-test.dashed-key")).isEqualTo("default-dashed");
    }

    @Test
    void environmentNameOfDashedKeys() {
        env.put("SETTINGS_TEST_DASHED_KEY", "env-dashed");
        assertThat(read(null).apply("settings-test.dashed-key")).isEqualTo("env-dashed");
    }

    @Test
    void keysOnlyInTheConfigFileCanBeOverriddenFromTheEnvironment() throws IOException {
        writeConfig("settings-test.file-only=file\n");
        assertThat(read(null).apply("settings-test.file-only")).isEqualTo("file");
        env.put("SETTINGS_TEST_FILE_ONLY", "env");
        assertThat(read(null).apply("settings-test.file-only")).isEqualTo("env");
    }

    @Test
    void configFileIsReadAsUtf8() throws IOException {
        writeConfig("settings-test.b=caf\u00e9 \u20ac\n");
        assertThat(read(Map.of()).apply("settings-test.b")).isEqualTo("caf\u00e9 \u20ac");
    }

    @Test
    void overridesMayAddKeysAndNullOverridesAreIgnored() {
        Map<String, String> overrides = new HashMap<>();
        overrides.put("settings-test.new", "added");
        overrides.put("settings-test.a", null);
        Function<String, String> p = read(overrides);
        assertThat(p.apply("settings-test.new")).isEqualTo("added");
        assertThat(p.apply("settings-test.a")).isEqualTo("default-a");
    }

    @Test
    void emptyEnvironmentValueStillOverrides() {
        // an empty variable is a value: documented precedence, no fallback to the default
        env.put("SETTINGS_TEST_A", "");
        assertThat(read(null).apply("settings-test.a")).isEmpty();
    }

    @Test
    void aKeyNoLayerHasIsAnError() {
        assertThatThrownBy(() -> read(null).apply("settings-test.nowhere"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("settings-test.nowhere");
    }

    @Test
    void missingBuiltInSettingsFail() {
        assertThatThrownBy(() -> AppSettings.read("no-such-app", Map.of(), sources()).apply("x"))
                .hasStackTraceContaining("no-such-app.properties");
    }

    @Test
    void environmentName() {
        assertThat(AppSettings.environmentName("progdist.server.port")).isEqualTo("PROGDIST_SERVER_PORT");
        assertThat(AppSettings.environmentName("progdist.db.max-pool-size")).isEqualTo("PROGDIST_DB_MAX_POOL_SIZE");
        assertThat(AppSettings.environmentName("a")).isEqualTo("A");
        // upper-casing is locale-independent (no Turkish dotted I), unlike Camel's own mapping
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.forLanguageTag("tr-TR"));
            assertThat(AppSettings.environmentName("progdist.id")).isEqualTo("PROGDIST_ID");
            env.put("SETTINGS_TEST_DASHED_KEY", "env-in-turkish");
            assertThat(read(null).apply("settings-test.dashed-key")).isEqualTo("env-in-turkish");
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void configDirFromSystemProperty() {
        String old = System.getProperty("progdist.config.dir");
        System.setProperty("progdist.config.dir", configDir.toString());
        try {
            assertThat(AppSettings.configDir()).isEqualTo(configDir);
        } finally {
            if (old == null) {
                System.clearProperty("progdist.config.dir");
            } else {
                System.setProperty("progdist.config.dir", old);
            }
        }
    }
}
