package dev.progdist.settings;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import org.apache.camel.CamelContext;
import org.apache.camel.component.properties.PropertiesComponent;
import org.apache.camel.component.properties.PropertiesLocation;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.main.Main;

/**
 * How every progdist app ({@code server}, {@code gateway}, {@code trp}) reads its settings: Camel's
 * properties component, set up so that each source below wins over the ones before it.
 * <ol>
 * <li>the defaults shipped in the app, the location {@code classpath:<app>.properties};</li>
 * <li>the integrator's file, the optional location {@code file:<configDir>/<app>.properties}
 * ({@link #configDir}); Camel asks the locations in the order given, so it comes first;</li>
 * <li>environment variables, {@code progdist.server.port} → {@code PROGDIST_SERVER_PORT}
 * ({@link #environmentName}), a properties source ordered before the locations;</li>
 * <li>JVM system properties, a properties source ordered before that one;</li>
 * <li>command-line options, Camel's override properties, which win over every source.</li>
 * </ol>
 * Camel's own environment-variable and system-property modes are switched off: Camel looks those up
 * before the override properties, so they would win over command-line options, and it upper-cases
 * with the JVM's locale. Files are read as UTF-8. YAML routes see the same values as
 * {@code {{placeholders}}}.
 */
public final class AppSettings {

    /** Camel gives the locations' sources order 100 and up; these two are asked before them. */
    static final int SYSTEM_PROPERTIES_ORDER = 10;
    static final int ENVIRONMENT_ORDER = 20;

    private AppSettings() {
    }

    /**
     * Where the settings besides the built-in defaults and the command line come from: the
     * integrator's directory, the JVM system properties and the environment variables.
     */
    public record Sources(Path configDir, Function<String, String> systemProperties,
            Function<String, String> environment) {

        /** This process's: {@link #configDir}, {@link System#getProperty}, {@link System#getenv}. */
        public static Sources ofThisProcess() {
            return new Sources(AppSettings.configDir(), System::getProperty, System::getenv);
        }
    }

    /**
     * A camel-main for {@code app} whose properties component reads the layers above, from this
     * process's sources; {@code overrides} (command-line options; null values are left out) win.
     */
    public static Main newMain(String app, Map<String, String> overrides) {
        return newMain(app, overrides, Sources.ofThisProcess());
    }

    /** As {@link #newMain(String, Map)}, with the given sources (tests fake the environment). */
    public static Main newMain(String app, Map<String, String> overrides, Sources sources) {
        Main main = new Main() {
            @Override
            protected CamelContext createCamelContext() {
                CamelContext context = super.createCamelContext();
                // before camel-main reads any setting: it adds no default location once ours are set
                AppSettings.configure(context, app, sources);
                return context;
            }
        };
        main.setOverrideProperties(commandLine(overrides));
        return main;
    }

    /**
     * Sets up {@code context}'s properties component for {@code app} with the layers above, for a
     * context that is not run by {@link #newMain} (route tests). Command-line options are the
     * caller's, as override properties.
     */
    public static void configure(CamelContext context, String app, Sources sources) {
        if (!(context.getPropertiesComponent() instanceof PropertiesComponent pc)) {
            throw new IllegalStateException("not Camel's default properties component: "
                    + context.getPropertiesComponent().getClass().getName());
        }
        pc.setEncoding("UTF-8");
        pc.setEnvironmentVariableMode(PropertiesComponent.ENVIRONMENT_VARIABLES_MODE_NEVER);
        pc.setSystemPropertiesMode(PropertiesComponent.SYSTEM_PROPERTIES_MODE_NEVER);
        pc.setLocations(List.of(
                new PropertiesLocation("file", sources.configDir().resolve(app + ".properties").toString(), true),
                new PropertiesLocation("classpath", app + ".properties", false)));
        pc.addPropertiesSource(new LookupPropertiesSource("progdist-system-properties", SYSTEM_PROPERTIES_ORDER,
                sources.systemProperties()));
        pc.addPropertiesSource(new LookupPropertiesSource("progdist-environment", ENVIRONMENT_ORDER,
                key -> sources.environment().apply(environmentName(key))));
    }

    /**
     * The settings of {@code app} as the app itself would read them, for a command that does not
     * run it (the CLI opening the server's database). Each value is stripped; a key that none of
     * the layers has is an error.
     */
    public static Function<String, String> read(String app, Map<String, String> overrides) {
        return read(app, overrides, Sources.ofThisProcess());
    }

    /** As {@link #read(String, Map)}, with the given sources. */
    public static Function<String, String> read(String app, Map<String, String> overrides, Sources sources) {
        CamelContext context = new DefaultCamelContext(false);
        configure(context, app, sources);
        context.getPropertiesComponent().setOverrideProperties(commandLine(overrides));
        context.build();
        org.apache.camel.spi.PropertiesComponent pc = context.getPropertiesComponent();
        return key -> setting(pc, key);
    }

    /**
     * The value of {@code key}, stripped, possibly empty. Every setting an app reads has its
     * default in the app's {@code <app>.properties}, so a key that no layer has is an error.
     */
    public static String setting(org.apache.camel.spi.PropertiesComponent pc, String key) {
        return pc.resolveProperty(key).map(String::strip)
                .orElseThrow(() -> new IllegalStateException("setting " + key + " is missing"));
    }

    /** As {@link #setting}, and not empty. */
    public static String requiredSetting(org.apache.camel.spi.PropertiesComponent pc, String key) {
        String value = setting(pc, key);
        if (value.isEmpty()) {
            throw new IllegalStateException("setting " + key + " is empty");
        }
        return value;
    }

    /**
     * The directory of the integrator's {@code <app>.properties}: the system property
     * {@code progdist.config.dir}, else {@code $PROGDIST_CONFIG_DIR}, else {@code ./config}.
     */
    public static Path configDir() {
        String dir = System.getProperty("progdist.config.dir");
        if (dir == null || dir.isBlank()) {
            dir = System.getenv("PROGDIST_CONFIG_DIR");
        }
        return Path.of(dir == null || dir.isBlank() ? "config" : dir);
    }

    /** {@code progdist.server.port} → {@code PROGDIST_SERVER_PORT}, whatever the JVM's locale. */
    public static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static Properties commandLine(Map<String, String> overrides) {
        Properties p = new Properties();
        if (overrides != null) {
            overrides.forEach((k, v) -> {
                if (v != null) {
                    p.setProperty(k, v);
                }
            });
        }
        return p;
    }
}
