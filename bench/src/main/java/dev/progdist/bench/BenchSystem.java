package dev.progdist.bench;

import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.Credentials;
import dev.progdist.gateway.DeviceBus;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.gateway.GatewayMain;
import dev.progdist.gateway.SessionKeeper;
import dev.progdist.cli.TrpManufacturing;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.program.Entitlements;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.wire.SessionResponse;
import dev.progdist.server.ServerMain;
import dev.progdist.trp.TrpMain;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.camel.main.Main;

/**
 * The whole system in this JVM on a fresh bench home, with production settings: development PKI,
 * one TRP (manufactured and certified), one user (added straight in the database, as
 * {@code ./progdist user add} does) owning the registered TRP, then the server (embedded H2,
 * Artemis and Jetty HTTPS), a gateway hosting the device bus on loopback TCP, and the TRP
 * emulator connected to it. {@link #session} runs one full second-path setup.
 */
public final class BenchSystem implements AutoCloseable {

    public static final String USER = "bench";

    public final Home home;
    public final String deviceId;
    public final KeyType keyType;
    public final Argon2Cost cost;
    public final int port;
    public final int busPort;
    private final char[] secret;
    private Main server;
    private Main gateway;
    private Main trp;

    private BenchSystem(Home home, String deviceId, KeyType keyType, Argon2Cost cost) throws IOException {
        this.home = home;
        this.deviceId = deviceId;
        this.keyType = keyType;
        this.cost = cost;
        this.port = freePort();
        this.busPort = freePort();
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        this.secret = Base64.getUrlEncoder().withoutPadding().encodeToString(b).toCharArray();
    }

    /**
     * Sets everything up and starts server, gateway and TRP; waits until the TRP answers on the
     * device bus. The components run on their built-in settings: the caller points
     * {@code progdist.config.dir} at a directory without settings files.
     */
    public static BenchSystem start(Home home, KeyType keyType, Argon2Cost cost, Duration startupTimeout,
            Consumer<String> progress) throws Exception {
        BenchSystem system = new BenchSystem(home, "bench-" + keyType.cliName(), keyType, cost);
        try {
            system.setUp(progress);
            system.startComponents(startupTimeout, progress);
            return system;
        } catch (Exception | Error e) {
            try {
                system.close();
            } catch (Exception stop) {
                e.addSuppressed(stop);
            }
            throw e;
        }
    }

    private void setUp(Consumer<String> progress) {
        // the delivery bench makes device certificates before it starts the system: keep its PKI
        if (!DevelopmentPki.exists(home)) {
            DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        }
        TrpManufacturing.manufacture(home, deviceId, keyType, false);
        progress.accept("PKI initialised; TRP " + deviceId + " manufactured (" + keyType.cliName() + ") and certified");
        try (Database db = Database.openHome(home, 2)) {
            new UserDirectory(db, cost.hasher(), Clock.systemUTC()).addUser(USER, secret, Role.USER, false);
            new DeviceRegistry(db, Clock.systemUTC()).register(deviceId, USER, "bench");
        }
        progress.accept("user " + USER + " added (Argon2id " + cost + "), " + deviceId + " registered to it");
    }

    private void startComponents(Duration startupTimeout, Consumer<String> progress) throws Exception {
        String root = home.root().toString();
        Map<String, String> serverSettings = new HashMap<>(cost.settings());
        serverSettings.put("progdist.home", root);
        // embedded database and broker in the bench home, whatever the environment says
        serverSettings.put("progdist.db.url", "");
        serverSettings.put("progdist.broker.url", "");
        serverSettings.put("progdist.server.port", String.valueOf(port));
        serverSettings.put("progdist.server.bind", "127.0.0.1");
        server = ServerMain.create(serverSettings);
        server.start();
        gateway = GatewayMain.create(Map.of("progdist.home", root,
                "progdist.gateway.server", "https://localhost:" + port,
                "progdist.gateway.trust-ca", "",
                "progdist.gateway.bus.url", "",
                "progdist.gateway.bus.listen", "tcp://127.0.0.1:" + busPort), new Credentials(USER, secret.clone()));
        gateway.start();
        trp = TrpMain.create(Map.of("progdist.home", root,
                "progdist.trp.device", deviceId,
                "progdist.trp.bus.url", "tcp://127.0.0.1:" + busPort + "?reconnectAttempts=-1&retryInterval=100"));
        trp.start();
        try {
            bus().awaitStatus(deviceId, startupTimeout, () -> { });
        } catch (IllegalStateException e) {
            throw new IllegalStateException("the TRP emulator did not answer on the device bus within "
                    + startupTimeout + ": " + e.getMessage(), e);
        }
        progress.accept("server on https://localhost:" + port + ", gateway with device bus on tcp://127.0.0.1:"
                + busPort + ", TRP emulator connected (all in this JVM)");
    }

    public DeviceBus bus() {
        return gateway.getCamelContext().getRegistry().lookupByNameAndType("deviceBus", DeviceBus.class);
    }

    /** The gateway's own first-path HTTPS client (one connection pool, kept alive between requests). */
    public FirstPathClient gatewayClient() {
        return gateway.getCamelContext().getRegistry().lookupByNameAndType("firstPathClient", FirstPathClient.class);
    }

    /** A new HTTPS client, trusting only the distribution CA, as a freshly started gateway has. */
    public FirstPathClient newClient() {
        return new FirstPathClient(URI.create("https://localhost:" + port), home.pkiDir().resolve("distribution-ca.crt"),
                Duration.ofSeconds(30));
    }

    public <T> T serverBean(String name, Class<T> type) {
        return server.getCamelContext().getRegistry().lookupByNameAndType(name, type);
    }

    /**
     * Publishes {@code program} as the publisher would, streaming it (never whole in memory):
     * hashes the file, signs the statement with the development PKI's publisher key, and hands
     * the file to the server's {@link ProgramCatalog}.
     */
    public ProgramCatalog.ProgramVersion publish(String programId, String version, Path program) throws Exception {
        ProgramStatement statement = ProgramStatement.of(programId, version, program);
        String signature = DevelopmentPki.signAsPublisher(home, statement);
        X509Certificate publisher = DevelopmentPki.open(home).publisherCertificate();
        try (InputStream in = Files.newInputStream(program)) {
            return serverBean("programCatalog", ProgramCatalog.class).publish(statement, signature,
                    Fingerprints.sha256(publisher), null, "bench", in);
        }
    }

    /** Entitles the bench user to {@code programId}. */
    public void grant(String programId) {
        serverBean("entitlements", Entitlements.class).grant(programId, USER, "bench");
    }

    /** A relay through the gateway's client and device bus, in a session of the bench user that is already logged in. */
    public ChannelRelay loggedInRelay() {
        FirstPathClient client = gatewayClient();
        SessionKeeper keeper = new SessionKeeper(client, USER, secret, Duration.ofMinutes(5), Clock.systemUTC());
        keeper.session(); // log in now, so that a delivery's time does not include Argon2id
        return new ChannelRelay(keeper, client, bus());
    }

    /** The user's secret, for the crypto-only measurement (Argon2id verify of the same password). */
    public char[] secret() {
        return secret.clone();
    }

    /** The stored hash of the bench user, exactly as the server verifies it. */
    public String storedHash() {
        try (Database db = Database.openHome(home, 1)) {
            return new UserDirectory(db, cost.hasher(), Clock.systemUTC()).find(USER).orElseThrow().passwordHash();
        }
    }

    /**
     * Timings of one session, in nanoseconds; the channel's time split into the relay's steps to
     * the TRP (device bus request/reply, TRP work) and to the server (HTTPS POST, server work).
     */
    public record SessionRun(long loginNanos, long channelNanos, long logoutNanos, int rounds, long trpStepsNanos,
            long serverStepsNanos) {
        public long totalNanos() {
            return loginNanos + channelNanos + logoutNanos;
        }
    }

    /**
     * One full setup: log in (Argon2id verify on the server), open the second path through the
     * gateway (TLS 1.3 with mutual authentication, processor authentication, Hello/HelloAck), log out.
     *
     * @throws IllegalStateException with the reason when the channel was not authenticated
     */
    public SessionRun session(FirstPathClient client) {
        long t0 = System.nanoTime();
        SessionKeeper keeper = new SessionKeeper(client, USER, secret, Duration.ofMinutes(5), Clock.systemUTC());
        SessionResponse session = keeper.session();
        StepClock steps = new StepClock();
        long t1 = System.nanoTime();
        steps.last = t1;
        ChannelRelay.Outcome outcome = new ChannelRelay(keeper, client, bus()).connect(deviceId, steps);
        long t2 = System.nanoTime();
        if (!outcome.authenticated()) {
            quietLogout(client, session);
            throw new IllegalStateException("channel not authenticated: code " + outcome.code() + ", TRP "
                    + outcome.trpState() + " (" + outcome.trpReport().get("progdistChannelDetail") + "), server "
                    + outcome.serverState() + ", " + outcome.rounds() + " round(s)");
        }
        // logging out directly rather than with keeper.close(), which would only log a failed logout
        client.logout(session);
        long t3 = System.nanoTime();
        return new SessionRun(t1 - t0, t2 - t1, t3 - t2, outcome.rounds(), steps.trp, steps.server);
    }

    /** Sees the relay hand records over, forwards them unchanged, and adds up the time spent on each side. */
    private static final class StepClock implements ChannelRelay.RecordTap {
        long last;
        long trp;
        long server;

        @Override
        public byte[] toServer(int round, byte[] records) {
            long now = System.nanoTime();
            trp += now - last; // since the relay last handed records to the TRP (or began)
            last = now;
            return records;
        }

        @Override
        public byte[] toTrp(int round, byte[] records) {
            long now = System.nanoTime();
            server += now - last;
            last = now;
            return records;
        }
    }

    private static void quietLogout(FirstPathClient client, SessionResponse session) {
        try {
            client.logout(session);
        } catch (RuntimeException ignored) {
            // the session expires on its own; the failure being reported matters more
        }
    }

    /** Stops the TRP, then the gateway (it logs out), then the server; reports the first failure after trying all. */
    @Override
    public void close() throws Exception {
        Exception first = null;
        for (Main m : new Main[] {trp, gateway, server}) {
            if (m == null) {
                continue;
            }
            try {
                m.stop();
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        trp = null;
        gateway = null;
        server = null;
        java.util.Arrays.fill(secret, '\0');
        if (first != null) {
            throw first;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
