package dev.progdist.gateway;

import dev.progdist.settings.AppSettings;
import java.util.Map;
import org.apache.camel.main.Main;

/** The client gateway as a camel-main application. */
public final class GatewayMain {

    private GatewayMain() {
    }

    /** A configured, not yet started gateway for {@code credentials}; {@code overrides} win. */
    public static Main create(Map<String, String> overrides, Credentials credentials) {
        return create(overrides, credentials, GatewayExit.SYSTEM);
    }

    /** As {@link #create(Map, Credentials)}, ending the process through {@code exit} if it cannot go on. */
    public static Main create(Map<String, String> overrides, Credentials credentials, GatewayExit exit) {
        return create(overrides, credentials, exit, AppSettings.Sources.ofThisProcess());
    }

    /** As {@link #create(Map, Credentials, GatewayExit)}, with the settings' layers ({@link AppSettings}) from {@code sources}. */
    static Main create(Map<String, String> overrides, Credentials credentials, GatewayExit exit,
            AppSettings.Sources sources) {
        Main main = AppSettings.newMain("gateway", overrides, sources);
        main.bind("gatewayCredentials", credentials);
        main.bind("gatewayExit", exit);
        main.configure().addConfiguration(GatewayConfiguration.class);
        return main;
    }
}
