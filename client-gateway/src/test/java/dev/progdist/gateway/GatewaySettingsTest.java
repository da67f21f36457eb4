package dev.progdist.gateway;

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
 * The gateway's settings through its real camel-main ({@link GatewayMain}): gateway.properties,
 * then config/gateway.properties, then environment variables (fake), then JVM system properties
 * (fake), then command-line options. Read before the gateway is configured; the start stops there.
 */
class GatewaySettingsTest {

    @TempDir
    Path dir;

    @Test
    void eachLayerWinsOverTheOnesBefore() throws Exception {
        Files.writeString(dir.resolve("gateway.properties"), "progdist.gateway.http-timeout = PT3S\n"
                + "progdist.gateway.refresh-margin = PT4M\nprogdist.gateway.bus.request-timeout = 3000\n"
                + "progdist.gateway.server = https://file.example\n");
        Map<String, String> env = Map.of("PROGDIST_GATEWAY_REFRESH_MARGIN", "PT3M",
                "PROGDIST_GATEWAY_BUS_REQUEST_TIMEOUT", "4000", "PROGDIST_GATEWAY_SERVER", "https://env.example");
        Properties system = new Properties();
        system.setProperty("progdist.gateway.bus.request-timeout", "5000");
        system.setProperty("progdist.gateway.server", "https://sys.example");
        Main main = GatewayMain.create(Map.of("progdist.gateway.server", "https://option.example"),
                new Credentials("alice", "secret".toCharArray()), status -> { },
                new AppSettings.Sources(dir, system::getProperty, env::get));

        String seen = settingsBeforeConfiguration(main, "{{camel.main.name}} {{progdist.gateway.bus.listen}} "
                + "{{progdist.gateway.http-timeout}} {{progdist.gateway.refresh-margin}} "
                + "{{progdist.gateway.bus.request-timeout}} {{progdist.gateway.server}} "
                + "{{progdist.gateway.session-check-period}} {{progdist.gateway.check-in-period}} "
                + "[{{progdist.gateway.devices}}]");

        assertThat(seen).isEqualTo("progdist-gateway tcp://127.0.0.1:61617 PT3S PT3M 5000 https://option.example 15000 "
                + "5000 []");
    }

    @Test
    void theDevicesSettingIsACheckedCommaSeparatedList() {
        assertThat(GatewayConfiguration.devices("")).isEmpty();
        assertThat(GatewayConfiguration.devices(" d-1, d-2 ,,d-1")).containsExactly("d-1", "d-2");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GatewayConfiguration.devices("d-1,../x"))
                .hasMessageContaining("progdist.gateway.devices: '../x'");
    }
}
