package dev.progdist.trp;

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
 * The TRP emulator's settings through its real camel-main ({@link TrpMain}): trp.properties, then
 * config/trp.properties, then environment variables (fake), then JVM system properties (fake),
 * then command-line options. Read before the TRP is configured; the start stops there.
 */
class TrpSettingsTest {

    @TempDir
    Path dir;

    @Test
    void eachLayerWinsOverTheOnesBefore() throws Exception {
        Files.writeString(dir.resolve("trp.properties"), "progdist.trp.bus.recovery-interval = 2000\n"
                + "progdist.trp.bus.max-message-bytes = 1000\nprogdist.trp.bus.url = tcp://file:1\n"
                + "progdist.trp.device = file-device\n");
        Map<String, String> env = Map.of("PROGDIST_TRP_BUS_MAX_MESSAGE_BYTES", "2000",
                "PROGDIST_TRP_BUS_URL", "tcp://env:1", "PROGDIST_TRP_DEVICE", "env-device");
        Properties system = new Properties();
        system.setProperty("progdist.trp.bus.url", "tcp://sys:1");
        system.setProperty("progdist.trp.device", "sys-device");
        Main main = TrpMain.create(Map.of("progdist.trp.device", "option-device"),
                new AppSettings.Sources(dir, system::getProperty, env::get));

        String seen = settingsBeforeConfiguration(main, "{{camel.main.name}} {{progdist.home}}| "
                + "{{progdist.trp.bus.recovery-interval}} {{progdist.trp.bus.max-message-bytes}} "
                + "{{progdist.trp.bus.url}} {{progdist.trp.device}}");

        assertThat(seen).isEqualTo("progdist-trp | 2000 2000 tcp://sys:1 option-device");
    }
}
