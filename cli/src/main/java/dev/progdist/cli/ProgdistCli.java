package dev.progdist.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./progdist} launcher: one command per job, each with {@code --help}. */
@Command(name = "progdist", mixinStandardHelpOptions = true, versionProvider = ProgdistCli.Version.class,
        description = "Secure program distribution to tamper-resistant processors (TRPs).%n"
                + "Runtime data lives in $PROGDIST_HOME (default ./data).",
        subcommands = {
            DemoCommand.class,
            ServerCommand.class,
            UserCommand.class,
            DeviceCommand.class,
            ProgramCommand.class,
            PkiCommand.class,
            TrpCommand.class,
            GatewayCommand.class,
            RolloutCommand.class,
            FleetCommand.class,
            CommandLine.HelpCommand.class
        })
public final class ProgdistCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Key-exchange groups of every TLS connection of progdist (first and second path). */
    public static final String NAMED_GROUPS = "x25519,secp256r1";

    public static void main(String[] args) {
        // JSSE reads this once, at its first use: set it before anything opens a TLS connection
        if (System.getProperty("jdk.tls.namedGroups") == null) {
            System.setProperty("jdk.tls.namedGroups", NAMED_GROUPS);
        }
        // no Java object from any JMS message is ever deserialized in a progdist process
        dev.progdist.protocol.bus.BusConnections.denyDeserializationJvmWide();
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new ProgdistCli());
        // commands from modules the CLI does not depend on (bench/), found on the class path
        for (ExtraCommand extra : java.util.ServiceLoader.load(ExtraCommand.class)) {
            cl.addSubcommand(extra);
        }
        cl.setExecutionExceptionHandler((ex, line, parseResult) -> {
            // a clear one-line reason for the person at the terminal; stack traces go to the log
            line.getErr().println(line.getColorScheme().errorText("progdist: " + message(ex)));
            return ex instanceof IllegalArgumentException ? 2 : 1;
        });
        return cl;
    }

    public static String message(Throwable ex) {
        String m = ex.getMessage();
        return m == null || m.isBlank() ? ex.getClass().getSimpleName() : m;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Version from the jar manifest when packaged. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = ProgdistCli.class.getPackage().getImplementationVersion();
            return new String[] {"progdist " + (v == null ? "development build" : v)};
        }
    }
}
