package dev.progdist.server;

import static dev.progdist.settings.SettingsProbe.settingsBeforeConfiguration;
import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.settings.AppSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's settings through its real camel-main ({@link ServerMain}): server.properties, then
 * the integrator's config/server.properties, then environment variables, then JVM system
 * properties, then command-line options. The environment and the system properties are fakes;
 * the test reads the settings before the server is configured, then stops the start.
 */
class ServerSettingsTest {

    @TempDir
    Path dir;

    @Test
    void eachLayerWinsOverTheOnesBefore() throws Exception {
        Files.writeString(dir.resolve("server.properties"), "progdist.server.threads.min = 3\n"
                + "progdist.auth.lock-after = 11\nprogdist.auth.throttle-after = 4\nprogdist.db.pool-size = 5\n");
        Map<String, String> env = Map.of("PROGDIST_AUTH_LOCK_AFTER", "12", "PROGDIST_AUTH_THROTTLE_AFTER", "5",
                "PROGDIST_DB_POOL_SIZE", "6");
        Properties system = new Properties();
        system.setProperty("progdist.auth.throttle-after", "6");
        system.setProperty("progdist.db.pool-size", "7");
        Main main = ServerMain.create(Map.of("progdist.db.pool-size", "8"),
                new AppSettings.Sources(dir, system::getProperty, env::get));

        String seen = settingsBeforeConfiguration(main, "{{camel.main.name}} {{progdist.server.threads.max}} "
                + "{{progdist.server.threads.min}} {{progdist.auth.lock-after}} {{progdist.auth.throttle-after}} "
                + "{{progdist.db.pool-size}}");

        assertThat(seen).isEqualTo("progdist-server 200 3 12 6 8");
    }

    @Test
    void theTimersOfTheRoutesHaveTheirDefaultsInServerProperties() throws Exception {
        Main main = ServerMain.create(Map.of(), new AppSettings.Sources(dir, k -> null, k -> null));
        assertThat(settingsBeforeConfiguration(main, "{{progdist.channel.expiry-check-period}} "
                + "{{progdist.housekeeping.first-run-delay}} {{progdist.housekeeping.period}}"))
                .isEqualTo("15000 60000 600000");
    }
}
