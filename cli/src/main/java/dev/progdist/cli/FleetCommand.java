package dev.progdist.cli;

import dev.progdist.fleet.FaultPlan;
import dev.progdist.fleet.FleetDevices;
import dev.progdist.fleet.FleetProvisioning;
import dev.progdist.fleet.FleetRunner;
import dev.progdist.fleet.FleetStatus;
import dev.progdist.fleet.ProgressLine;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.server.RunningServer;
import dev.progdist.settings.AppSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "fleet", mixinStandardHelpOptions = true,
        description = "A fleet simulator: many emulated TRPs and their gateways in one process, for rollouts.",
        subcommands = {FleetCommand.Provision.class, FleetCommand.Run.class})
final class FleetCommand {

    /** Which fleet, for both subcommands: its devices are {@code <prefix>-0001} … {@code <prefix>-<N>}. */
    static final class Devices {
        @Option(names = "--prefix", required = true, description = "device IDs are <prefix>-0001, <prefix>-0002, …")
        String prefix;

        @Option(names = "--devices", required = true, paramLabel = "N", description = "how many TRPs")
        int devices;
    }

    @Command(name = "provision", mixinStandardHelpOptions = true,
            description = "Manufacture TRPs <prefix>-0001 … (development PKI, as 'trp manufacture') and register "
                    + "them to their owner (works whether or not the server runs; with --operator through its API). "
                    + "TRPs manufactured before are kept: an interrupted provision can be run again.")
    static final class Provision implements Callable<Integer> {
        @Mixin
        HomeOption homeOption;

        @Mixin
        Devices which;

        @Option(names = "--owner", required = true, description = "user ID of the devices' owner")
        String owner;

        @Option(names = "--key", defaultValue = "ec",
                description = "ec (P-256, default), rsa (3072 bits) or mixed (alternating, EC first)")
        String key;

        @Mixin
        ServerApi api;

        @Override
        public Integer call() {
            FleetDevices.ids(which.prefix, which.devices); // refuse a bad prefix or count before anything is made
            FleetProvisioning.KeyChoice keys = FleetProvisioning.KeyChoice.parse(key);
            Home home = homeOption.home();
            ProgressLine progress = ProgressLine.onStdout("Provisioning " + which.prefix, which.devices);
            FleetProvisioning.Result r = api.change(home, l -> FleetProvisioning.provision(home, which.prefix, which.devices, keys,
                    owner, (device, o, certificate) -> l.client().postJson(l.session(), "/api/v1/devices",
                            Map.of("deviceId", device, "owner", o, "certificate",
                                    dev.progdist.protocol.keys.Pem.toPem(certificate))), progress::update), () -> {
                try (Database db = UserCommand.openDatabase(home)) {
                    if (new dev.progdist.processors.auth.UserDirectory(db, UserCommand.hasher(), Clock.systemUTC())
                            .find(owner).isEmpty()) {
                        throw new IllegalArgumentException("no user '" + owner + "' to own the fleet's devices: add it "
                                + "first (./progdist user add " + owner + ")");
                    }
                    DeviceRegistry registry = new DeviceRegistry(db, Clock.systemUTC());
                    return FleetProvisioning.provision(home, which.prefix, which.devices, keys, owner,
                            (device, o, certificate) -> registry.register(device, o, "cli", certificate),
                            progress::update);
                }
            });
            List<String> ids = r.devices();
            System.out.println("Fleet " + which.prefix + ": " + ids.size() + " TRPs " + ids.get(0)
                    + (ids.size() > 1 ? " … " + ids.get(ids.size() - 1) : "") + " registered to " + owner + " ("
                    + r.manufactured() + " manufactured now, " + r.alreadyManufactured() + " before)");
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run the fleet's TRPs and their gateways in this process until stopped (Ctrl-C): one "
                    + "device bus, a session per device (the user's secret from $PROGDIST_PASSWORD or standard "
                    + "input), each device checking in and fetching what a rollout offers it. The server must allow "
                    + "that many sessions and second paths for the user (progdist.auth.max-sessions-per-user, "
                    + "progdist.channel.max-per-user).")
    static final class Run implements Callable<Integer> {
        @Mixin
        HomeOption homeOption;

        @Mixin
        Devices which;

        @Option(names = "--user", required = true, description = "the devices' user (their owner), for every session")
        String user;

        @Option(names = "--server", paramLabel = "URL[,URL2…]", split = ",",
                description = "the server(s); device i starts on the i-th modulo their number and moves to the next "
                        + "when its server cannot be reached (default: the one running on this home, else "
                        + "https://localhost:8443)")
        List<URI> servers = new ArrayList<>();

        @Option(names = "--trust-ca", paramLabel = "PEM",
                description = "CA that certifies the server (default: $PROGDIST_HOME/pki/distribution-ca.crt)")
        Path trustCa;

        @Option(names = "--check-in", defaultValue = "5s", paramLabel = "DURATION",
                description = "time between one device's check-ins, jittered ±20% (default: ${DEFAULT-VALUE})")
        String checkIn;

        @Option(names = "--faults", paramLabel = "SPEC",
                description = "misbehaving devices, e.g. refuse-install=2,storage-full=1,bad-receipt=1,vanish=1,slow=3 "
                        + "(the first devices, in the order of the spec; printed at start)")
        String faults;

        @Option(names = "--slow-delay", defaultValue = "2s", paramLabel = "DURATION",
                description = "how long a slow device waits before each relay step (default: ${DEFAULT-VALUE})")
        String slowDelay;

        @Option(names = "--workers", defaultValue = "16", paramLabel = "N",
                description = "threads for check-ins and deliveries (default: ${DEFAULT-VALUE})")
        int workers;

        @Option(names = "--logins", defaultValue = "2", paramLabel = "N",
                description = "logins at once while the sessions are opened (default: ${DEFAULT-VALUE})")
        int logins;

        @Option(names = "--status-every", defaultValue = "10s", paramLabel = "DURATION",
                description = "how often to print the status line (default: ${DEFAULT-VALUE})")
        String statusEvery;

        @Override
        public Integer call() throws Exception {
            Home home = homeOption.home();
            FaultPlan plan = FaultPlan.parse(faults);
            Duration status = Durations.parse("--status-every", statusEvery);
            if (status.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("--status-every must be at least 1s");
            }
            List<URI> targets = servers.isEmpty()
                    ? List.of(RunningServer.find(home).map(RunningServer::url).orElse(ServerApi.DEFAULT_SERVER))
                    : servers;
            // the gateway's own settings (config/gateway.properties …) for its timeouts and bus limits
            Function<String, String> gw = AppSettings.read("gateway", Map.of("progdist.home", home.root().toString()));
            FleetRunner.Options base = FleetRunner.Options.of(home.root(), which.prefix, which.devices, user, new char[0])
                    .withServers(targets).withTrustCa(trustCa)
                    .withCheckInPeriod(Durations.parse("--check-in", checkIn))
                    .withFaults(plan, Durations.parse("--slow-delay", slowDelay))
                    .withWorkers(workers, logins)
                    .withTimeouts(Duration.ofMillis(Long.parseLong(gw.apply("progdist.gateway.bus.request-timeout"))),
                            Duration.ofMillis(Long.parseLong(gw.apply("progdist.gateway.bus.channel-step-timeout"))),
                            Duration.parse(gw.apply("progdist.gateway.http-timeout")))
                    .withBusLimits(Duration.parse(gw.apply("progdist.gateway.refresh-margin")),
                            Long.parseLong(gw.apply("progdist.gateway.bus.max-message-bytes")));
            char[] secret = Secrets.read("secret for " + user);
            FleetRunner fleet;
            try {
                fleet = FleetRunner.start(base.withSecret(secret));
            } finally {
                java.util.Arrays.fill(secret, '\0');
            }
            System.out.println("Fleet " + which.prefix + ": " + which.devices + " TRPs and gateways running for " + user + " at "
                    + targets + ", checking in every " + checkIn + "; faults: "
                    + FaultPlan.describe(fleet.faults()) + ". Ctrl-C stops.");
            CountDownLatch stopped = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                fleet.close();
                System.out.println("Fleet " + which.prefix + " stopped: " + fleet.status().line());
                stopped.countDown();
            }, "progdist-fleet-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            while (!stopped.await(status.toMillis(), TimeUnit.MILLISECONDS)) {
                FleetStatus s = fleet.status();
                System.out.println(java.time.LocalTime.now().withNano(0) + " " + s.line());
                if (fleet.failure() != null) {
                    Runtime.getRuntime().removeShutdownHook(hook);
                    fleet.close();
                    throw new IllegalStateException(fleet.failure());
                }
            }
            return 0;
        }
    }
}
