package dev.progdist.settings;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicReference;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

/**
 * For the apps' settings tests: resolves placeholders as an app's real camel-main has set up its
 * properties, right before the app's configuration runs, and ends the start there (no PKI,
 * database, identity or broker is opened).
 */
public final class SettingsProbe {

    private SettingsProbe() {
    }

    /** {@code placeholders} resolved by {@code main}'s context before its configuration classes run. */
    public static String settingsBeforeConfiguration(Main main, String placeholders) throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport m) {
                seen.set(m.getCamelContext().resolvePropertyPlaceholders(placeholders));
                throw new SeenEnough();
            }
        });
        try {
            assertThatThrownBy(main::start).hasStackTraceContaining(SeenEnough.class.getSimpleName());
        } finally {
            main.stop();
        }
        return seen.get();
    }

    /** Ends the start once the settings are read. */
    static final class SeenEnough extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SeenEnough() {
            super("settings read, start not needed");
        }
    }
}
