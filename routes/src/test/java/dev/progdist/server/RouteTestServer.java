package dev.progdist.server;

import dev.progdist.settings.AppSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;

/**
 * The server as route tests run it: the real {@link ServerConfiguration} (HTTPS, broker, database)
 * on a home with a development PKI, a fresh H2 database per context so state does not leak between
 * tests, a test clock, and only the named YAML route files.
 */
final class RouteTestServer {

    private RouteTestServer() {
    }

    /**
     * Configures {@code context} as a server on {@code port} in {@code home}, with cheap Argon2id
     * and {@code settings} on top, and loads the route file of each name in {@code routes} (see {@link #routeFile}).
     */
    static void configure(CamelContext context, Path home, int port, Clock clock, List<String> routes,
            Map<String, String> settings) throws Exception {
        Map<String, String> overrides = new HashMap<>(Map.of(
                "progdist.home", home.toString(),
                "progdist.server.port", String.valueOf(port),
                "progdist.server.bind", "127.0.0.1",
                "progdist.db.url", "jdbc:h2:file:" + home.resolve("db-" + UUID.randomUUID()) + ";AUTO_SERVER=TRUE",
                "progdist.broker.url", "",
                "progdist.auth.argon2.memory-kib", "1024",
                "progdist.auth.argon2.iterations", "1"));
        overrides.putAll(settings);
        // the server's built-in settings only: no integrator file, environment or system properties
        AppSettings.configure(context, "server", new AppSettings.Sources(Path.of("no-config-dir"), k -> null, k -> null));
        Properties props = new Properties();
        props.putAll(overrides);
        context.getPropertiesComponent().setOverrideProperties(props);
        context.setStreamCaching(false);
        context.getRegistry().bind("clock", Clock.class, clock);
        new ServerConfiguration().configure(context);
        List<Resource> resources = new ArrayList<>();
        for (String r : routes) {
            resources.add(routeFile(context, r));
        }
        PluginHelper.getRoutesLoader(context).loadRoutes(resources);
    }

    /** The directories of the server's route files, as server.properties includes them. */
    static final List<String> ROUTE_DIRECTORIES = List.of("infrastructure", "api", "second-path", "delivery");

    /**
     * {@code classpath:camel/<dir>/<name>.camel.yaml} for the first of {@link #ROUTE_DIRECTORIES} that
     * has it: a test names {@code error-handling} or {@code 2-entitlement}, not where it lives.
     */
    static Resource routeFile(CamelContext context, String name) throws Exception {
        for (String dir : ROUTE_DIRECTORIES) {
            Resource r = ResourceHelper.resolveResource(context, "classpath:camel/" + dir + "/" + name + ".camel.yaml");
            if (r != null && r.exists()) {
                return r;
            }
        }
        throw new java.io.FileNotFoundException("no route file " + name + ".camel.yaml under classpath:camel/" + ROUTE_DIRECTORIES);
    }
}
