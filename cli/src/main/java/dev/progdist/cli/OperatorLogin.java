package dev.progdist.cli;

import dev.progdist.gateway.FirstPathClient;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.wire.SessionResponse;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Options of commands that call the server's API as a logged-in operator: {@code --server},
 * {@code --user}, the secret from {@code $PROGDIST_PASSWORD} or standard input.
 */
class OperatorLogin {

    @Mixin
    HomeOption homeOption;

    @Option(names = "--server", paramLabel = "URL", defaultValue = "https://localhost:8443",
            description = "distribution server (default: ${DEFAULT-VALUE})")
    URI server;

    @Option(names = "--user", required = true, description = "operator user ID to log in as")
    String user;

    @Option(names = "--trust-ca", paramLabel = "PEM",
            description = "CA that certifies the server (default: $PROGDIST_HOME/pki/distribution-ca.crt)")
    Path trustCa;

    /** An authenticated API client and its session; close the session with {@link FirstPathClient#logout}. */
    record Login(FirstPathClient client, SessionResponse session) {
    }

    Login login() {
        return login(homeOption.home(), server, trustCa, user);
    }

    /** Logs {@code user} in at {@code server}, the secret from $PROGDIST_PASSWORD or standard input. */
    static Login login(Home home, URI server, Path trustCa, String user) {
        return login(home, server, trustCa, user, Secrets.ENV);
    }

    /** As {@link #login(Home, URI, Path, String)}, the secret from {@code secretEnv} or standard input. */
    static Login login(Home home, URI server, Path trustCa, String user, String secretEnv) {
        FirstPathClient client = new FirstPathClient(server,
                trustCa != null ? trustCa : home.pkiDir().resolve("distribution-ca.crt"), Duration.ofSeconds(30));
        char[] secret = Secrets.read("secret for " + user, secretEnv);
        try {
            return new Login(client, client.login(user, secret));
        } finally {
            java.util.Arrays.fill(secret, '\0');
        }
    }
}
