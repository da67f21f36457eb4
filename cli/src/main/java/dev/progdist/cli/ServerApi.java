package dev.progdist.cli;

import dev.progdist.protocol.Home;
import dev.progdist.server.RunningServer;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * Options and choice of CLI commands that change state and can do it either way: with
 * {@code --operator} through the server's operator API (authorized and audited as that operator),
 * else directly in the home's database, as when no server runs. A direct change while a server runs
 * on the home ({@link RunningServer}) works, but says in one line that {@code --operator} is preferred.
 */
class ServerApi {

    static final URI DEFAULT_SERVER = URI.create("https://localhost:8443");

    @Option(names = "--operator", paramLabel = "USER",
            description = "make the change through the server's operator API, logged in as this operator "
                    + "(secret from $PROGDIST_PASSWORD or standard input); preferred while the server runs")
    String operator;

    @Option(names = "--server", paramLabel = "URL",
            description = "with --operator: the server (default: the one running on this home, else "
                    + "https://localhost:8443)")
    URI server;

    @Option(names = "--trust-ca", paramLabel = "PEM",
            description = "with --operator: CA that certifies the server "
                    + "(default: $PROGDIST_HOME/pki/distribution-ca.crt)")
    Path trustCa;

    /** {@link #change(Home, String, Function, Supplier)} with the operator's secret from {@link Secrets#ENV}. */
    <T> T change(Home home, Function<OperatorLogin.Login, T> viaApi, Supplier<T> locally) {
        return change(home, Secrets.ENV, viaApi, locally);
    }

    /**
     * Runs {@code viaApi} logged in as {@code --operator} (its secret from {@code secretEnv} or
     * standard input), or else {@code locally}, noting on standard error when a server runs.
     */
    <T> T change(Home home, String secretEnv, Function<OperatorLogin.Login, T> viaApi, Supplier<T> locally) {
        Optional<RunningServer> running = RunningServer.find(home);
        if (operator != null) {
            URI target = server != null ? server : running.map(RunningServer::url).orElse(DEFAULT_SERVER);
            OperatorLogin.Login l = OperatorLogin.login(home, target, trustCa, operator, secretEnv);
            try {
                return viaApi.apply(l);
            } finally {
                l.client().logout(l.session());
            }
        }
        if (server != null || trustCa != null) {
            throw new IllegalArgumentException("--server and --trust-ca need --operator");
        }
        T result = locally.get();
        running.ifPresent(r -> System.err.println("progdist: note: the server at " + r.url() + " is running; this "
                + "change was made directly in its database, not through the operator API. Prefer "
                + "--operator USER, which makes it as that operator."));
        return result;
    }
}
