package dev.progdist.trp;

import dev.progdist.protocol.Settings;
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
        Main main = new Main();
        main.setOverrideProperties(Settings.load("trp", overrides));
        main.configure().addConfiguration(TrpConfiguration.class);
        return main;
    }
}
