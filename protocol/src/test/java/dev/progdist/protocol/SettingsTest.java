package dev.progdist.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

    /** Defaults on the test classpath: {@code progdist-settings-test.properties}. */
    private static final String APP = "progdist-settings-test";

    @TempDir
    Path configDir;

    private void writeConfig(String text) throws IOException {
        Files.writeString(configDir.resolve(APP + ".properties"), text, StandardCharsets.UTF_8);
    }

    @Test
    void precedenceIsDefaultsThenFileThenEnvThenSystemPropertiesThenOverrides() throws IOException {
        writeConfig("settings-test.b=file-b\nsettings-test.c=file-c\nsettings-test.d=file-d\nsettings-test.e=file-e\n");
        Map<String, String> env = Map.of(
                "SETTINGS_TEST_C", "env-c",
                "SETTINGS_TEST_D", "env-d",
                "SETTINGS_TEST_E", "env-e");
        String old = System.getProperty("settings-test.d");
        System.setProperty("settings-test.d", "sys-d");
        System.setProperty("settings-test.e", "sys-e");
        try {
            Properties p = Settings.load(APP, configDir, env, Map.of("settings-test.e", "override-e"));
            assertThat(p.getProperty("settings-test.a")).isEqualTo("default-a");
            assertThat(p.getProperty("settings-test.b")).isEqualTo("file-b");
            assertThat(p.getProperty("settings-test.c")).isEqualTo("env-c");
            assertThat(p.getProperty("settings-test.d")).isEqualTo("sys-d");
            assertThat(p.getProperty("settings-test.e")).isEqualTo("override-e");
        } finally {
            System.clearProperty("settings-test.d");
            System.clearProperty("settings-test.e");
            if (old != null) {
                System.setProperty("settings-test.d", old);
            }
        }
        // and the system properties are really gone again
        Properties after = Settings.load(APP, configDir, Map.of(), Map.of());
        assertThat(after.getProperty("settings-test.d")).isEqualTo("file-d");
    }

    @Test
    void defaultsAloneWithoutConfigFile() {
        Properties p = Settings.load(APP, configDir.resolve("does-not-exist"), Map.of(), null);
        assertThat(p.getProperty("settings-test.a")).isEqualTo("default-a");
        assertThat(p.getProperty("settings-test.dashed-key")).isEqualTo("default-dashed");
    }

    @Test
    void environmentNameOfDashedKeys() {
        Properties p = Settings.load(APP, configDir, Map.of("SETTINGS_TEST_DASHED_KEY", "env-dashed"), null);
        assertThat(p.getProperty("settings-test.dashed-key")).isEqualTo("env-dashed");
    }

    @Test
    void keysOnlyInTheConfigFileCanBeOverriddenFromTheEnvironment() throws IOException {
        writeConfig("settings-test.file-only=file\n");
        Properties p = Settings.load(APP, configDir, Map.of("SETTINGS_TEST_FILE_ONLY", "env"), null);
        assertThat(p.getProperty("settings-test.file-only")).isEqualTo("env");
    }

    @Test
    void configFileIsReadAsUtf8() throws IOException {
        writeConfig("settings-test.b=caf\u00e9 \u20ac\n");
        assertThat(Settings.load(APP, configDir, Map.of(), null).getProperty("settings-test.b"))
                .isEqualTo("caf\u00e9 \u20ac");
    }

    @Test
    void overridesMayAddKeysAndNullOverridesAreIgnored() {
        Map<String, String> overrides = new HashMap<>();
        overrides.put("settings-test.new", "added");
        overrides.put("settings-test.a", null);
        Properties p = Settings.load(APP, configDir, Map.of(), overrides);
        assertThat(p.getProperty("settings-test.new")).isEqualTo("added");
        assertThat(p.getProperty("settings-test.a")).isEqualTo("default-a");
    }

    @Test
    void emptyEnvironmentValueStillOverrides() {
        // an empty variable is a value: documented precedence, no fallback to the default
        Properties p = Settings.load(APP, configDir, Map.of("SETTINGS_TEST_A", ""), null);
        assertThat(p.getProperty("settings-test.a")).isEmpty();
    }

    @Test
    void missingBuiltInSettingsFail() {
        assertThatThrownBy(() -> Settings.load("no-such-app", configDir, Map.of(), null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no-such-app.properties");
    }

    @Test
    void environmentName() {
        assertThat(Settings.environmentName("progdist.server.port")).isEqualTo("PROGDIST_SERVER_PORT");
        assertThat(Settings.environmentName("progdist.db.max-pool-size")).isEqualTo("PROGDIST_DB_MAX_POOL_SIZE");
        assertThat(Settings.environmentName("a")).isEqualTo("A");
        // upper-casing is locale-independent (no Turkish dotted I)
        java.util.Locale saved = java.util.Locale.getDefault();
        try {
            java.util.Locale.setDefault(java.util.Locale.forLanguageTag("tr-TR"));
            assertThat(Settings.environmentName("progdist.id")).isEqualTo("PROGDIST_ID");
        } finally {
            java.util.Locale.setDefault(saved);
        }
    }

    @Test
    void configDirFromSystemProperty() {
        String old = System.getProperty("progdist.config.dir");
        System.setProperty("progdist.config.dir", configDir.toString());
        try {
            assertThat(Settings.configDir()).isEqualTo(configDir);
        } finally {
            if (old == null) {
                System.clearProperty("progdist.config.dir");
            } else {
                System.setProperty("progdist.config.dir", old);
            }
        }
    }
}
