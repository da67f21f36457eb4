package dev.progdist.server;

import dev.progdist.settings.AppSettings;
import java.util.Map;
import org.apache.camel.main.Main;

/**
 * The distribution server as a camel-main application. {@link #create} is shared by the
 * {@code progdist server} command, the demo and the integration tests.
 */
public final class ServerMain {

    private ServerMain() {
    }

    public static void main(String[] args) throws Exception {
        create(Map.of()).run(args);
    }

    /**
     * A configured, not yet started server with the settings of {@code server.properties} and its
     * layers ({@link AppSettings}); {@code overrides} win over every other setting.
     */
    public static Main create(Map<String, String> overrides) {
        return create(overrides, AppSettings.Sources.ofThisProcess());
    }

    static Main create(Map<String, String> overrides, AppSettings.Sources sources) {
        Main main = AppSettings.newMain("server", overrides, sources);
        main.configure().addConfiguration(ServerConfiguration.class);
        return main;
    }
}
