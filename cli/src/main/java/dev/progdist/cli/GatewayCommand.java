package dev.progdist.cli;

import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.ProgramVersions;
import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.Credentials;
import dev.progdist.gateway.DeviceBus;
import dev.progdist.gateway.GatewayMain;
import dev.progdist.gateway.SessionKeeper;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.wire.SessionResponse;
import dev.progdist.protocol.wire.TrpStatus;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.camel.main.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "The client gateway: the device's untrusted host, which logs in and relays.",
        subcommands = {GatewayCommand.Login.class, GatewayCommand.Status.class, GatewayCommand.Connect.class,
            GatewayCommand.Fetch.class, GatewayCommand.Run.class})
final class GatewayCommand {

    /** Options every gateway command shares. */
    static class GatewayOptions {
        @Mixin
        HomeOption homeOption;

        @Option(names = "--server", paramLabel = "URL", description = "distribution server (default: https://localhost:8443)")
        String server;

        @Option(names = "--user", required = true, description = "user ID of the device's user")
        String user;

        @Option(names = "--bus-listen", paramLabel = "URL", description = "device bus listen address (default: tcp://127.0.0.1:61617)")
        String busListen;

        Main create() {
            return create(Map.of());
        }

        /** As {@link #create()}, with further settings of this command. */
        Main create(Map<String, String> extra) {
            Home home = homeOption.home();
            Map<String, String> overrides = new HashMap<>(extra);
            overrides.put("progdist.home", home.root().toString());
            if (server != null) {
                overrides.put("progdist.gateway.server", server);
            }
            if (busListen != null) {
                overrides.put("progdist.gateway.bus.listen", busListen);
            }
            return GatewayMain.create(overrides, new Credentials(user, Secrets.read("secret for " + user)));
        }

        /** Starts a gateway, logs in, hands the live session and registry to {@code job}, stops it. */
        int once(GatewayJob job) throws Exception {
            Main main = create();
            main.start();
            try {
                var registry = main.getCamelContext().getRegistry();
                SessionResponse s = registry.lookupByNameAndType("sessionKeeper", SessionKeeper.class).session();
                System.out.println("Logged in as " + s.userId() + " (" + s.role() + "), session " + s.sessionId()
                        + " valid until " + s.expiresAt());
                job.run(registry);
                return 0;
            } finally {
                main.stop();
            }
        }
    }

    /** Work done by a one-shot gateway command once the session is open. */
    @FunctionalInterface
    interface GatewayJob {
        void run(org.apache.camel.spi.Registry registry) throws Exception;
    }

    @Command(name = "login", mixinStandardHelpOptions = true,
            description = "Log in over the first path, print the session (not its token) and log out.")
    static final class Login implements Callable<Integer> {
        @Mixin
        GatewayOptions options;

        @Override
        public Integer call() throws Exception {
            return options.once(registry -> { });
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Log in, then ask a TRP for its status over the device bus.")
    static final class Status implements Callable<Integer> {
        @Mixin
        GatewayOptions options;

        @Option(names = "--device", required = true, description = "device ID of the TRP")
        String device;

        @Override
        public Integer call() throws Exception {
            return options.once(registry -> {
                TrpStatus st = registry.lookupByNameAndType("deviceBus", DeviceBus.class).status(device);
                System.out.println("TRP " + st.deviceId() + " (" + st.keyType() + ") certificate SHA-256 "
                        + st.certificateFingerprint() + ", " + st.installed().size() + " program(s) installed");
            });
        }
    }

    @Command(name = "connect", mixinStandardHelpOptions = true,
            description = "Log in, then open the second path between the server and a TRP and report how it went. "
                    + "Exits 3 when the channel is refused or fails.")
    static final class Connect implements Callable<Integer> {
        @Mixin
        GatewayOptions options;

        @Option(names = "--device", required = true, description = "device ID of the TRP")
        String device;

        @Override
        public Integer call() throws Exception {
            int[] exit = {0};
            options.once(registry -> {
                ChannelRelay.Outcome o = registry.lookupByNameAndType("channelRelay", ChannelRelay.class)
                        .connect(device);
                printOutcome(device, o);
                exit[0] = o.authenticated() ? 0 : 3;
            });
            return exit[0];
        }
    }

    @Command(name = "fetch",
            description = "Log in, open the second path to a TRP and have it fetch a program: the server encrypts it "
                    + "for that TRP, the gateway relays ciphertext, the TRP installs it and signs a receipt. "
                    + "Exits 3 when the delivery is refused or fails.")
    static final class Fetch implements Callable<Integer> {
        /** {@code --version} names the program's version here, so only the help half of the standard options. */
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Mixin
        GatewayOptions options;

        @Option(names = "--device", required = true, description = "device ID of the TRP")
        String device;

        @Option(names = "--program", required = true, description = "program ID")
        String program;

        @Option(names = "--version", paramLabel = "V", description = "version (default: the latest published)")
        String version;

        @Option(names = "--mode", paramLabel = "MODE",
                description = "direct or wrapped (default: the program's, else the server's default)")
        String mode;

        @Override
        public Integer call() throws Exception {
            if (!ProgramVersions.isProgramId(program)) {
                throw new IllegalArgumentException("--program must match " + ProgramVersions.PROGRAM_ID_PATTERN);
            }
            if (version != null && !ProgramVersions.isVersion(version)) {
                throw new IllegalArgumentException("--version must match " + ProgramVersions.VERSION_PATTERN);
            }
            String parsedMode = mode == null ? null : EnvelopeMode.parse(mode).label();
            int[] exit = {0};
            options.once(registry -> {
                ChannelRelay.Outcome o = registry.lookupByNameAndType("channelRelay", ChannelRelay.class)
                        .fetch(device, new ChannelRelay.Fetch(program, version, parsedMode));
                printDelivery(device, program, o);
                exit[0] = o.installed() ? 0 : 3;
            });
            return exit[0];
        }
    }

    static void printDelivery(String device, String program, ChannelRelay.Outcome o) {
        Map<String, String> r = o.trpReport();
        if (o.installed()) {
            System.out.println("Installed " + r.get("progdistProgram") + " " + r.get("progdistVersion") + " ("
                    + r.get("progdistMode") + ") on TRP " + device + "; program SHA-256 " + r.get("progdistProgramSha256")
                    + "; receipt signed by the TRP and verified by the server (" + o.rounds() + " relay rounds)");
        } else {
            String detail = r.getOrDefault("progdistChannelDetail", "");
            System.out.println("Delivery of " + program + " to TRP " + device + " FAILED: "
                    + (o.code() == null ? "unknown" : o.code()) + (detail.isEmpty() ? "" : " (" + detail + ")"));
        }
    }

    static void printOutcome(String device, ChannelRelay.Outcome o) {
        if (o.authenticated()) {
            System.out.println("Second path to TRP " + device + ": " + o.protocol() + ", " + o.cipherSuite()
                    + "; server " + o.trpReport().get("progdistPeer") + "; device " + device
                    + " authenticated and bound to this session (" + o.rounds() + " relay rounds)");
        } else {
            String detail = o.trpReport().getOrDefault("progdistChannelDetail", "");
            System.out.println("Second path to TRP " + device + " REFUSED: " + (o.code() == null ? "unknown" : o.code())
                    + (detail.isEmpty() ? "" : " (" + detail + ")") + "; TRP " + o.trpState() + ", server "
                    + o.serverState());
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run the gateway until stopped: keep the session alive, host the device bus and check in "
                    + "for each --device: when a rollout offers it a program, its TRP fetches and installs it. "
                    + "A gateway that was offline catches up at its next check-in.")
    static final class Run implements Callable<Integer> {
        @Mixin
        GatewayOptions options;

        @Option(names = "--device", paramLabel = "D",
                description = "a device this gateway serves and checks in for (repeatable)")
        java.util.List<String> devices = new java.util.ArrayList<>();

        @Option(names = "--check-in", paramLabel = "DURATION",
                description = "time between check-ins, e.g. 5s or PT5S (default: progdist.gateway.check-in-period, 5s)")
        String checkIn;

        @Override
        public Integer call() throws Exception {
            Map<String, String> extra = new HashMap<>();
            for (String d : devices) {
                dev.progdist.protocol.DeviceId.require(d);
            }
            if (!devices.isEmpty()) {
                extra.put("progdist.gateway.devices", String.join(",", devices));
            }
            if (checkIn != null) {
                java.time.Duration period = Durations.parse("--check-in", checkIn);
                if (period.compareTo(java.time.Duration.ofMillis(100)) < 0
                        || period.compareTo(java.time.Duration.ofHours(1)) > 0) {
                    throw new IllegalArgumentException("--check-in must be 100ms to 1h, not " + checkIn);
                }
                extra.put("progdist.gateway.check-in-period", String.valueOf(period.toMillis()));
            }
            Main main = options.create(extra);
            main.run();
            return 0;
        }
    }
}
