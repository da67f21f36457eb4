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
