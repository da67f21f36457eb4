package dev.progdist.trp;

import dev.progdist.settings.AppSettings;
import java.util.Map;
import org.apache.camel.main.Main;

/** The TRP emulator as a camel-main application. */
public final class TrpMain {

    private TrpMain() {
    }

    public static void main(String[] args) throws Exception {
        create(Map.of()).run(args);
    }

    /** A configured, not yet started TRP emulator; {@code overrides} win over every other setting. */
    public static Main create(Map<String, String> overrides) {
        return create(overrides, AppSettings.Sources.ofThisProcess());
    }

    /** As {@link #create(Map)}, with the settings' layers ({@link AppSettings}) from {@code sources}. */
    static Main create(Map<String, String> overrides, AppSettings.Sources sources) {
        Main main = AppSettings.newMain("trp", overrides, sources);
        main.configure().addConfiguration(TrpConfiguration.class);
        return main;
    }
}
