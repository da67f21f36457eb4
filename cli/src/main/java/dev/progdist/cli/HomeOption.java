package dev.progdist.cli;

import dev.progdist.protocol.Home;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --home DIR}: overrides {@code $PROGDIST_HOME} for one command. */
public class HomeOption {

    @Option(names = "--home", paramLabel = "DIR", description = "runtime data directory (default: $PROGDIST_HOME, else ./data)")
    Path home;

    public Home home() {
        if (home != null) {
            System.setProperty(Home.PROPERTY, home.toString());
            return Home.at(home);
        }
        return Home.fromEnvironment();
    }
}
