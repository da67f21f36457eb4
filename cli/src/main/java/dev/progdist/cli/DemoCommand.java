package dev.progdist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.Credentials;
import dev.progdist.gateway.DeviceBus;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.gateway.FirstPathException;
import dev.progdist.gateway.GatewayMain;
import dev.progdist.gateway.SessionKeeper;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.wire.SessionResponse;
import dev.progdist.protocol.wire.TrpStatus;
import dev.progdist.trp.InstalledPrograms;
import dev.progdist.trp.TrpIdentityStore;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.camel.main.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The main job on embedded defaults, end to end, in a fresh home: PKI, TRPs, a user and an
 * operator, the server and the TRPs as separate processes, a gateway that logs in over HTTPS and
 * reaches each TRP over the device bus and opens the second path; then the operator publishes and
 * grants a sample program and each TRP receives it in both envelope modes, with receipts verified.
 * Prints what happened, stops everything, exits 0 only if every step worked.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole system once on embedded defaults in a fresh home and print a summary.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--home", paramLabel = "DIR",
            description = "demo home, wiped first; must be new, empty or an earlier demo home"
                    + " (default: $PROGDIST_HOME/demo, i.e. ./data/demo)")
    Path home;

    @Option(names = "--startup-timeout", defaultValue = "PT120S", description = "how long to wait for each process (default: ${DEFAULT-VALUE})")
    Duration startupTimeout;

    private final List<Process> children = new ArrayList<>();
    private char[] operatorSecret;

    @Override
    public Integer call() throws Exception {
        Path mainHome = Home.fromEnvironment().root();
        Home demoHome = ScratchHome.prepare(home != null ? home : mainHome.resolve("demo"), mainHome, "demo");
        Files.createDirectories(demoHome.root().resolve("logs"));
        step("Home " + demoHome.root());

        DevelopmentPki pki = DevelopmentPki.init(demoHome, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        step("Development PKI: manufacturer CA, distribution CA, publisher key, server HTTPS + channel certificates");
        Map<String, KeyType> devices = Map.of("demo-ec-1", KeyType.EC_P256, "demo-rsa-1", KeyType.RSA_3072);
        for (var d : devices.entrySet()) {
            TrpIdentityStore trp = TrpManufacturing.manufacture(demoHome, d.getKey(), d.getValue(), false);
            step("TRP " + d.getKey() + " manufactured (" + trp.keyType().cliName() + "), certificate SHA-256 "
                    + trp.fingerprint().substring(0, 16) + "…, issued by " + pki.manufacturerCaCertificate()
                            .getSubjectX500Principal().getName());
        }
        char[] secret = randomSecret();
        operatorSecret = randomSecret();
        try (Database db = UserCommand.openDatabase(demoHome)) {
            UserDirectory users = new UserDirectory(db, UserCommand.hasher(), Clock.systemUTC());
            users.addUser("alice", secret, Role.USER, false);
            users.addUser("ops", operatorSecret, Role.OPERATOR, false);
        }
        try (Database db = UserCommand.openDatabase(demoHome)) {
            var registry = new dev.progdist.processors.channel.DeviceRegistry(db, Clock.systemUTC());
            for (String device : devices.keySet()) {
                registry.register(device, "alice", "demo");
            }
        }
        step("Users alice (device owner) and ops (operator) added (Argon2id hashes in the database), devices " + String.join(", ",
                devices.keySet().stream().sorted().toList()) + " registered to her");

        int port = freePort();
        int busPort = freePort();
        Main gateway = null;
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopChildren));
        try {
            spawn(demoHome, "server", "server", "--port", String.valueOf(port));
            String server = "https://localhost:" + port;
            gateway = GatewayMain.create(Map.of("progdist.home", demoHome.root().toString(),
                    "progdist.gateway.server", server,
                    "progdist.gateway.bus.listen", "tcp://127.0.0.1:" + busPort), new Credentials("alice", secret));
            gateway.start();
            SessionKeeper keeper = gateway.getCamelContext().getRegistry()
                    .lookupByNameAndType("sessionKeeper", SessionKeeper.class);
            SessionResponse session = awaitLogin(keeper);
            step("Server up on " + server + "; gateway logged in over HTTPS (trusting only the distribution CA) as "
                    + session.userId() + ", session " + session.sessionId() + " until " + session.expiresAt());
            DeviceBus bus = gateway.getCamelContext().getRegistry().lookupByNameAndType("deviceBus", DeviceBus.class);
            for (String device : devices.keySet().stream().sorted().toList()) {
                spawn(demoHome, "trp-" + device, "trp", "run", "--device", device, "--bus",
                        "tcp://127.0.0.1:" + busPort + "?reconnectAttempts=-1&retryInterval=200");
            }
            for (String device : devices.keySet().stream().sorted().toList()) {
                TrpStatus status = bus.awaitStatus(device, startupTimeout, this::checkChildren);
                step("TRP " + status.deviceId() + " answered over the device bus: key " + status.keyType()
                        + ", certificate SHA-256 " + status.certificateFingerprint().substring(0, 16) + "…, "
                        + status.installed().size() + " program(s) installed");
            }
            ChannelRelay relay = gateway.getCamelContext().getRegistry()
                    .lookupByNameAndType("channelRelay", ChannelRelay.class);
            for (String device : devices.keySet().stream().sorted().toList()) {
                ChannelRelay.Outcome o = relay.connect(device);
                if (!o.authenticated()) {
                    GatewayCommand.printOutcome(device, o);
                    throw new IllegalStateException("the second path to " + device + " was refused: " + o.code());
                }
                step("Second path server ⇄ TRP " + device + " through the gateway: " + o.protocol() + ", "
                        + o.cipherSuite() + ", server " + o.trpReport().get("progdistPeer") + ", device " + device
                        + " authenticated (certificate + proof of possession) and bound to alice's session");
            }
            deliverPrograms(demoHome, server, relay, devices);
            rollOut(demoHome, pki, server, secret, busPort);
            System.out.println();
            System.out.println("Demo complete. Logs: " + demoHome.root().resolve("logs"));
            return 0;
        } finally {
            // TRPs first (clients of the gateway's device bus), then the gateway (it logs out), then the server
            stop(children.subList(1, Math.max(1, children.size())));
            if (gateway != null) {
                gateway.stop();
            }
            stopChildren();
            java.util.Arrays.fill(secret, '\0');
            java.util.Arrays.fill(operatorSecret, '\0');
        }
    }

    /**
     * The operator publishes two versions of a sample program (signed with the publisher key) and
     * grants it to alice; each TRP then fetches 1.0 in one mode and upgrades to 2.0 in the other.
     * Every delivery must end installed with a receipt the server verified, and the bytes each TRP
     * installed must be the bytes published.
     */
    private void deliverPrograms(Home demoHome, String server, ChannelRelay relay, Map<String, KeyType> devices)
            throws IOException {
        Path programs = Files.createDirectories(demoHome.root().resolve("programs"));
        Path v1 = programs.resolve("hello-1.0.sh");
        Files.writeString(v1, "#!/bin/sh\necho 'hello from progdist 1.0'\n");
        Path v2 = programs.resolve("hello-2.0.bin");
        byte[] payload = new byte[3 * 1024 * 1024 + 1234]; // several relay windows
        new SecureRandom().nextBytes(payload);
        Files.write(v2, payload);
        FirstPathClient client = new FirstPathClient(URI.create(server), demoHome.pkiDir().resolve("distribution-ca.crt"),
                Duration.ofSeconds(30));
        SessionResponse ops = client.login("ops", operatorSecret);
        try {
            for (var v : List.of(Map.entry("1.0", v1), Map.entry("2.0", v2))) {
                JsonNode published = ProgramCommand.publish(client, ops, demoHome, v.getValue(), "hello", v.getKey(), null);
                step("Operator published hello " + v.getKey() + " (" + published.path("size").asLong()
                        + " bytes, SHA-256 " + published.path("sha256").asText().substring(0, 16)
                        + "…): publisher signature checked by the server's publishing route, blob stored by SHA-256");
            }
            client.postJson(ops, "/api/v1/programs/hello/grants", Map.of("userId", "alice"));
            step("Operator granted hello to alice");
            for (String device : devices.keySet().stream().sorted().toList()) {
                boolean ec = devices.get(device) == KeyType.EC_P256;
                deliver(relay, demoHome, device, "1.0", ec ? "direct" : "wrapped", v1);
                deliver(relay, demoHome, device, "2.0", ec ? "wrapped" : "direct", v2);
            }
            JsonNode ledger = client.getJson(ops, "/api/v1/deliveries");
            long installed = 0;
            for (JsonNode d : ledger.path("deliveries")) {
                installed += "installed".equals(d.path("outcome").asText()) ? 1 : 0;
            }
            step("Delivery ledger: " + installed + " deliveries installed, each with a receipt signature the server"
                    + " verified against the TRP's certificate");
            if (installed != 2L * devices.size()) {
                throw new IllegalStateException("the ledger shows " + installed + " installed deliveries, expected "
                        + 2 * devices.size());
            }
        } finally {
            client.logout(ops);
        }
    }

    /** Devices of the demo's rollout: a fleet in one process, each with its own gateway session. */
    static final int FLEET = 20;
    static final String FLEET_PREFIX = "fleet";
    static final String REVOKED = FLEET_PREFIX + "-0007";

    /**
     * A rollout to a fleet: {@value #FLEET} TRPs manufactured and registered (with their
     * certificates) through the operator API, one of them revoked first; the fleet runs in its own
     * process, its gateways check in, and the operator's rollout goes to a canary group, then the
     * rest. The revoked device must be excluded with its reason, every other one installed on a
     * verified receipt.
     */
    private void rollOut(Home demoHome, DevelopmentPki pki, String server, char[] aliceSecret, int busPort)
            throws Exception {
        FirstPathClient client = new FirstPathClient(URI.create(server), demoHome.pkiDir().resolve("distribution-ca.crt"),
                Duration.ofSeconds(30));
        SessionResponse ops = client.login("ops", operatorSecret);
        try {
            dev.progdist.fleet.FleetProvisioning.provision(demoHome, FLEET_PREFIX, FLEET,
                    dev.progdist.fleet.FleetProvisioning.KeyChoice.EC, "alice",
                    (device, owner, cert) -> client.postJson(ops, "/api/v1/devices", Map.of("deviceId", device,
                            "owner", owner, "certificate", dev.progdist.protocol.keys.Pem.toPem(cert))), n -> { });
            step("Fleet: " + FLEET + " TRPs " + FLEET_PREFIX + "-0001 … " + FLEET_PREFIX + "-" + String.format("%04d", FLEET)
                    + " manufactured and registered to alice with their certificates (operator API)");
            pki.revokeDevice(REVOKED, "keyCompromise");
            step("Revoked " + REVOKED + " (manufacturer CA's CRL reissued): it must be excluded, never sent anything");
            Path v3 = demoHome.root().resolve("programs").resolve("hello-3.0.sh");
            Files.writeString(v3, "#!/bin/sh\necho 'hello from progdist 3.0, rolled out'\n");
            ProgramCommand.publish(client, ops, demoHome, v3, "hello", "3.0", null);
            spawn(demoHome, "fleet", Map.of(Secrets.ENV, new String(aliceSecret)), "fleet", "run", "--prefix",
                    FLEET_PREFIX, "--devices", String.valueOf(FLEET), "--user", "alice", "--server", server,
                    "--check-in", "1s", "--status-every", "5s");
            JsonNode created = client.postJson(ops, "/api/v1/rollouts", Map.of("name", "demo: hello 3.0 to the fleet",
                    "programId", "hello", "version", "3.0", "mode", "wrapped",
                    "targets", Map.of("filter", "device=" + FLEET_PREFIX + "-*"),
                    "groups", List.of(Map.of("percent", 10), Map.of("percent", 100)),
                    "deviceTimeout", "2m", "retries", 1, "retryBackoff", "2s", "start", true));
            String id = created.path("id").asText();
            step("Operator created rollout " + id + ": hello 3.0 (wrapped: encrypted once, the content key wrapped"
                    + " per device) to the devices matching device=" + FLEET_PREFIX + "-*, a canary group of 10 %, then"
                    + " the rest; " + RolloutPrinter.counts(created.path("counts")));
            int exit = RolloutWatch.follow(() -> {
                checkChildren();
                return client.getJson(ops, "/api/v1/rollouts/" + id);
            }, 500, System.out);
            JsonNode done = client.getJson(ops, "/api/v1/rollouts/" + id);
            JsonNode excluded = client.getJson(ops, "/api/v1/rollouts/" + id + "/devices?state=excluded");
            String why = excluded.path("devices").path(0).path("deviceId").asText() + " "
                    + excluded.path("devices").path(0).path("reason").asText();
            long installed = done.path("counts").path("installed").asLong();
            step("Rollout " + done.path("status").asText() + ": " + RolloutPrinter.counts(done.path("counts"))
                    + " (excluded: " + why + "); every install counted from a receipt the TRP signed and the server"
                    + " verified");
            if (exit != 0 || installed != FLEET - 1 || !why.equals(REVOKED + " cert-revoked")) {
                throw new IllegalStateException("the rollout did not finish as expected: " + done.path("status").asText()
                        + ", " + RolloutPrinter.counts(done.path("counts")) + ", excluded " + why);
            }
        } finally {
            client.logout(ops);
        }
    }

    private static void deliver(ChannelRelay relay, Home demoHome, String device, String version, String mode,
            Path published) throws IOException {
        ChannelRelay.Outcome o = relay.fetch(device, new ChannelRelay.Fetch("hello", version, mode));
        if (!o.installed()) {
            GatewayCommand.printDelivery(device, "hello", o);
            throw new IllegalStateException("the delivery of hello " + version + " to " + device + " failed: " + o.code());
        }
        Path installed = new InstalledPrograms(demoHome, device).programFile("hello").orElseThrow();
        if (Files.mismatch(installed, published) != -1L) {
            throw new IllegalStateException("TRP " + device + " installed other bytes than were published");
        }
        step("hello " + version + " → TRP " + device + " (" + mode + "): envelope "
                + o.trpReport().get("progdistEnvelopeSha256").substring(0, 16) + "… relayed in " + o.rounds()
                + " rounds, opened with the TRP key, publisher signature checked, installed (bytes identical to the"
                + " published ones), receipt signed by the TRP and verified by the server");
    }

    private SessionResponse awaitLogin(SessionKeeper keeper) throws InterruptedException {
        Instant deadline = Instant.now().plus(startupTimeout);
        while (true) {
            checkChildren();
            try {
                return keeper.session();
            } catch (FirstPathException e) {
                if (e.status() != 0 || Instant.now().isAfter(deadline)) {
                    throw e;
                }
                Thread.sleep(250); // the server process is still starting
            }
        }
    }

    private void spawn(Home demoHome, String name, String... args) throws IOException {
        spawn(demoHome, name, Map.of(), args);
    }

    private void spawn(Home demoHome, String name, Map<String, String> environment, String... args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        String log4j = System.getProperty("log4j2.configurationFile");
        if (log4j != null) {
            command.add("-Dlog4j2.configurationFile=" + log4j);
        }
        command.add(ProgdistCli.class.getName());
        command.addAll(List.of(args));
        Path log = demoHome.root().resolve("logs").resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put(Home.ENV, demoHome.root().toString());
        pb.environment().remove(Secrets.ENV);
        // the fleet's user has a session per device: room for the demo's fleet and gateway
        pb.environment().put("PROGDIST_AUTH_MAX_SESSIONS_PER_USER", "50");
        pb.environment().put("PROGDIST_CHANNEL_MAX_PER_USER", "50");
        pb.environment().put("PROGDIST_ROLLOUT_SCHEDULER_PERIOD", "500");
        pb.environment().putAll(environment);
        children.add(pb.start());
        step("Started " + name + " as process " + children.get(children.size() - 1).pid() + " (log " + log + ")");
    }

    private void checkChildren() {
        for (Process p : children) {
            if (!p.isAlive()) {
                throw new IllegalStateException("a demo process (pid " + p.pid() + ") exited with " + p.exitValue()
                        + "; see the logs");
            }
        }
    }

    private void stopChildren() {
        stop(children);
    }

    private static void stop(List<Process> processes) {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        processes.clear();
    }

    private static void step(String text) {
        System.out.println("• " + text);
    }

    private static char[] randomSecret() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b).toCharArray();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
