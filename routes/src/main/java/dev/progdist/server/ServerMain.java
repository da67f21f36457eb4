package dev.progdist.server;

import dev.progdist.protocol.Settings;
import java.util.Map;
import java.util.Properties;
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

    /** A configured, not yet started server; {@code overrides} win over every other setting. */
    public static Main create(Map<String, String> overrides) {
        Properties settings = Settings.load("server", overrides);
        Main main = new Main();
        main.setOverrideProperties(settings);
        main.configure().addConfiguration(ServerConfiguration.class);
        return main;
    }
}
