package dev.progdist.server;

import dev.progdist.protocol.Home;
import java.util.List;

/**
 * {@link RouteTestCase} (the real server on a port, over real Jetty HTTPS) for route tests outside
 * this package, such as the second-path stage tests in {@code dev.progdist.server.stages}: the
 * fixture's members are package-private, so this opens the few such a test needs.
 */
public abstract class ServerRouteTestCase extends RouteTestCase {

    /** The route files ({@code error-handling}, {@code 1-inner-channel}, ...) this test loads. */
    protected abstract List<String> routeFiles();

    @Override
    final List<String> routes() {
        return routeFiles();
    }

    /** The HTTPS client of this test's server (trusts only the distribution CA). */
    protected TestHttps https() {
        return https;
    }

    /** The home of this test class's server: its development PKI. */
    protected static Home home() {
        return home;
    }
}
