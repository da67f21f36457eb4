package dev.progdist.cli;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.server.ServerMain;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Run the distribution server (HTTPS on port 8443 by default) until stopped.")
final class ServerCommand implements Callable<Integer> {

    @Mixin
    HomeOption homeOption;

    @Option(names = "--port", description = "HTTPS port (default: progdist.server.port, 8443)")
    Integer port;

    @Option(names = "--db-url", paramLabel = "JDBC_URL",
            description = "JDBC URL of the database (default: H2 file under $PROGDIST_HOME/db)")
    String dbUrl;

    @Override
    public Integer call() throws Exception {
        var home = homeOption.home();
        // a fresh home gets a development PKI; a home that has the server's key stores is never touched
        if (!DevelopmentPki.exists(home) && !java.nio.file.Files.exists(DevelopmentPki.serverHttpsStore(home))) {
            System.out.println("No PKI in " + home + ": creating a development PKI (./progdist pki init)");
            DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        }
        Map<String, String> overrides = new HashMap<>();
        overrides.put("progdist.home", home.root().toString());
        if (port != null) {
            overrides.put("progdist.server.port", port.toString());
        }
        if (dbUrl != null) {
            overrides.put("progdist.db.url", dbUrl);
        }
        ServerMain.create(overrides).run();
        return 0;
    }
}
