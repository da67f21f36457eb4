package dev.progdist.it;

import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.program.Entitlements;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.cli.TrpManufacturing;
import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.Credentials;
import dev.progdist.gateway.DeviceBus;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.gateway.GatewayMain;
import dev.progdist.gateway.SessionKeeper;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.server.ServerMain;
import dev.progdist.trp.TrpMain;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.main.Main;

/**
 * The whole system on its real parts in one JVM, for integration tests: a server (embedded
 * Artemis journal, H2 file database, Jetty HTTPS), one gateway hosting the device bus on loopback
 * TCP, and TRP emulators connected to it. Users and devices are added straight in the database,
 * as {@code ./progdist user add} and {@code device register} do.
 */
public final class Fleet implements AutoCloseable {

    public final Home home;
    public final DevelopmentPki pki;
    public final int port;
    public final int busPort;
    public final Main server;
    public final Main gateway;
    public final Map<String, Main> trps = new LinkedHashMap<>();
    /** Exit statuses the gateway asked for (it would have ended its process); empty while all is well. */
    public final java.util.List<Integer> gatewayExits = new java.util.concurrent.CopyOnWriteArrayList<>();

    private Fleet(Path dir, String user, char[] secret, Map<String, KeyType> devices, Map<String, String> serverSettings)
            throws Exception {
        home = Home.at(dir);
        port = freePort();
        busPort = freePort();
        pki = DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        for (var d : devices.entrySet()) {
            manufacture(d.getKey(), d.getValue());
        }
        Map<String, String> settings = new java.util.HashMap<>(Map.of("progdist.home", dir.toString(),
                "progdist.server.port", String.valueOf(port),
                "progdist.server.bind", "127.0.0.1",
                "progdist.auth.argon2.memory-kib", "1024",
                "progdist.auth.argon2.iterations", "1",
                "progdist.channel.idle-timeout", "PT2S"));
        settings.putAll(serverSettings);
        Main startedServer = null;
        Main startedGateway = null;
        try {
            startedServer = ServerMain.create(settings);
            startedServer.start();
            server = startedServer;
            addUser(user, secret, Role.USER);
            Map<String, String> gatewaySettings = new java.util.HashMap<>(Map.of("progdist.home", dir.toString(),
                    "progdist.gateway.server", "https://localhost:" + port,
                    "progdist.gateway.bus.listen", "tcp://127.0.0.1:" + busPort));
            serverSettings.forEach((k, v) -> {
                if (k.startsWith("progdist.gateway.")) {
                    gatewaySettings.put(k, v);
                }
            });
            startedGateway = GatewayMain.create(gatewaySettings, new Credentials(user, secret), gatewayExits::add);
            startedGateway.start();
            gateway = startedGateway;
            for (String device : devices.keySet()) {
                startTrp(device);
            }
        } catch (Exception | Error e) {
            // a half-started fleet would keep its brokers' in-VM IDs and ports from every later test
            try {
                stopAll(startedServer, startedGateway);
            } catch (Exception stopping) {
                e.addSuppressed(stopping);
            }
            throw e;
        }
    }

    /** Starts everything for {@code user} with the given TRPs (manufactured here, not registered). */
    public static Fleet start(Path dir, String user, char[] secret, Map<String, KeyType> devices) throws Exception {
        return new Fleet(dir, user, secret, devices, Map.of());
    }

    /**
     * As {@link #start(Path, String, char[], Map)}, with settings overriding the fleet's: all go to
     * the server, and those named {@code progdist.gateway.*} also to the gateway.
     */
    public static Fleet start(Path dir, String user, char[] secret, Map<String, KeyType> devices,
            Map<String, String> serverSettings) throws Exception {
        return new Fleet(dir, user, secret, devices, serverSettings);
    }

    public void manufacture(String device, KeyType type) {
        TrpManufacturing.manufacture(home, device, type, false);
    }

    public void startTrp(String device) throws Exception {
        Main trp = TrpMain.create(Map.of("progdist.home", home.root().toString(),
                "progdist.trp.device", device,
                "progdist.trp.bus.url", "tcp://127.0.0.1:" + busPort + "?reconnectAttempts=-1&retryInterval=100"));
        trp.start();
        trps.put(device, trp);
    }

    public void addUser(String user, char[] secret, Role role) {
        try (Database db = Database.openHome(home, 1)) {
            new UserDirectory(db, new PasswordHasher(1024, 1, 1), Clock.systemUTC()).addUser(user, secret, role, false);
        }
    }

    public void register(String device, String owner) {
        try (Database db = Database.openHome(home, 1)) {
            new DeviceRegistry(db, Clock.systemUTC()).register(device, owner, "test");
        }
    }

    /** Publishes {@code content} as the publisher would: signed with the development PKI's publisher key. */
    public ProgramCatalog.ProgramVersion publish(String programId, String version, byte[] content) {
        ProgramStatement statement = new ProgramStatement(programId, version, sha256(content), content.length);
        return publish(statement, new java.io.ByteArrayInputStream(content));
    }

    /** As {@link #publish(String, String, byte[])}, streaming from {@code file} (for large programs). */
    public ProgramCatalog.ProgramVersion publish(String programId, String version, Path file) throws Exception {
        try (var in = java.nio.file.Files.newInputStream(file)) {
            return publish(ProgramStatement.of(programId, version, file), in);
        }
    }

    private ProgramCatalog.ProgramVersion publish(ProgramStatement statement, java.io.InputStream content) {
        return serverBean("programCatalog", ProgramCatalog.class).publish(statement,
                DevelopmentPki.signAsPublisher(home, statement),
                dev.progdist.protocol.keys.Fingerprints.sha256(pki.publisherCertificate()), null, "test", content);
    }

    public static String sha256(byte[] data) {
        return dev.progdist.protocol.keys.Fingerprints.sha256(data);
    }

    public void grant(String programId, String user) {
        serverBean("entitlements", Entitlements.class).grant(programId, user, "test");
    }

    /** The ledger rows of {@code device}, newest first as the ledger lists them. */
    public java.util.List<DeliveryLedger.Delivery> deliveries(String device) {
        return serverBean("deliveryLedger", DeliveryLedger.class).list(device, null, null, 100);
    }

    public <T> T serverBean(String name, Class<T> type) {
        return server.getCamelContext().getRegistry().lookupByNameAndType(name, type);
    }

    public <T> T gatewayBean(String name, Class<T> type) {
        return gateway.getCamelContext().getRegistry().lookupByNameAndType(name, type);
    }

    public FirstPathClient client() {
        return new FirstPathClient(URI.create("https://localhost:" + port), home.pkiDir().resolve("distribution-ca.crt"),
                Duration.ofSeconds(10));
    }

    /** A relay through this gateway's device bus, but inside a session of {@code user}. */
    public ChannelRelay relayAs(String user, char[] secret) {
        FirstPathClient client = client();
        return new ChannelRelay(new SessionKeeper(client, user, secret, Duration.ofMinutes(5), Clock.systemUTC()),
                client, gatewayBean("deviceBus", DeviceBus.class));
    }

    /** The in-VM URL of the gateway's device bus (where the gateway's own client connects). */
    public String deviceBusInVmUrl() {
        return gatewayBean("deviceBusBroker", dev.progdist.protocol.bus.EmbeddedBroker.class).inVmUrl();
    }

    @Override
    public void close() throws Exception {
        stopAll(server, gateway);
    }

    /** Stops the TRPs, then the gateway, then the server ({@link Closing#all}: each even when one before it fails). */
    private void stopAll(Main server, Main gateway) throws Exception {
        java.util.List<AutoCloseable> parts = new java.util.ArrayList<>();
        for (Main trp : trps.values()) {
            parts.add(trp::stop);
        }
        parts.add(gateway == null ? null : gateway::stop);
        parts.add(server == null ? null : server::stop);
        Closing.all(parts.toArray(AutoCloseable[]::new));
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
