package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.fleet.FleetProvisioning;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.program.BlobStore;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.program.Entitlements;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.ServerInstances;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.wire.SessionResponse;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What the crash tests share ({@link RolloutCrashRestartTest}, {@link RolloutTwoInstancesTest}):
 * a home with the development PKI, a device user and an operator, a provisioned fleet registered
 * with its certificates, one program published and granted (all straight in the database, as the
 * CLI does without a server); the server settings of a fast crash check; the operator API; and the
 * checks that every target was installed exactly once and that nothing stayed unfinished.
 */
final class CrashRollouts {

    static final String USER = "crash-owner";
    static final char[] SECRET = "crash-owner-secret".toCharArray();
    static final String OPERATOR = "crash-ops";
    static final char[] OPERATOR_SECRET = "crash-ops-secret".toCharArray();
    static final String PROGRAM = "crash-app";
    static final String VERSION = "1.0.0";
    /** Large enough that a delivery is several relay rounds (1 MiB windows). */
    static final int PROGRAM_SIZE = 3 * 1024 * 1024 + 17;
    /** The lease after which a silent instance's deliveries fail {@code server-lost}. */
    static final Duration LEASE = Duration.ofSeconds(5);

    private CrashRollouts() {
    }

    /** Where the server processes' logs stay after the test (target/crash-logs/NAME), emptied first. */
    static Path logDir(String name) throws java.io.IOException {
        Path dir = Path.of("target", "crash-logs", name).toAbsolutePath();
        if (Files.isDirectory(dir)) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(dir);
        return dir;
    }

    /** A new home with the development PKI (the servers' HTTPS names include localhost). */
    static Home home(Path dir) {
        Home home = Home.at(dir);
        DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        return home;
    }

    /**
     * Users, {@code devices} TRPs {@code <prefix>-0001} … manufactured and registered with their
     * certificates, the program published (its blob in the home) and granted to the device user.
     */
    static void prepare(Home home, Database db, String prefix, int devices) throws Exception {
        UserDirectory users = new UserDirectory(db, new PasswordHasher(1024, 1, 1), Clock.systemUTC());
        users.addUser(USER, SECRET, Role.USER, false);
        users.addUser(OPERATOR, OPERATOR_SECRET, Role.OPERATOR, false);
        DeviceRegistry registry = new DeviceRegistry(db, Clock.systemUTC());
        FleetProvisioning.provision(home, prefix, devices, FleetProvisioning.KeyChoice.MIXED, USER,
                (device, owner, cert) -> registry.register(device, owner, "test", cert), n -> { });
        byte[] program = new byte[PROGRAM_SIZE];
        new Random(42).nextBytes(program);
        Path file = home.root().resolve("crash-app.bin");
        Files.write(file, program);
        ProgramStatement statement = ProgramStatement.of(PROGRAM, VERSION, file);
        try (var in = Files.newInputStream(file)) {
            new ProgramCatalog(db, BlobStore.forHome(home), Clock.systemUTC()).publish(statement,
                    DevelopmentPki.signAsPublisher(home, statement),
                    Fingerprints.sha256(DevelopmentPki.open(home).publisherCertificate()), null, "test", in);
        }
        new Entitlements(db, Clock.systemUTC()).grant(PROGRAM, USER, "test");
    }

    /**
     * Server settings: cheap Argon2id, room for a session and a channel per device and server,
     * a heartbeat every second and a 5 s lease, a fast scheduler and check-ins every second.
     */
    static Map<String, String> serverSettings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("progdist.server.bind", "127.0.0.1");
        s.put("progdist.auth.argon2.memory-kib", "1024");
        s.put("progdist.auth.argon2.iterations", "1");
        s.put("progdist.auth.max-sessions-per-user", "100");
        s.put("progdist.channel.max-per-user", "100");
        s.put("progdist.server.heartbeat-period", "1000");
        s.put("progdist.rollout.instance-lease", LEASE.toString());
        s.put("progdist.rollout.scheduler-period", "200");
        s.put("progdist.rollout.events-period", "200");
        s.put("progdist.rollout.check-in-after", "PT1S");
        return s;
    }

    /** One group of every device, 3 retries 1 s apart (doubling), a device timeout well above a delivery. */
    static Map<String, Object> rollout(List<String> devices) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("programId", PROGRAM);
        r.put("version", VERSION);
        r.put("targets", Map.of("devices", devices));
        r.put("retries", 3);
        r.put("retryBackoff", "1s");
        r.put("deviceTimeout", "3m");
        r.put("start", true);
        return r;
    }

    /** An operator session on one server. */
    record Operator(FirstPathClient client, SessionResponse session) {
        static Operator login(Home home, URI server) {
            FirstPathClient client = new FirstPathClient(server, home.distributionCaCertificate(), Duration.ofSeconds(20));
            return new Operator(client, client.login(OPERATOR, OPERATOR_SECRET));
        }

        JsonNode rollout(String id) {
            return client.getJson(session, "/api/v1/rollouts/" + id);
        }

        JsonNode create(Map<String, Object> request) {
            return client.postJson(session, "/api/v1/rollouts", request);
        }

        JsonNode devices(String id) {
            return client.getJson(session, "/api/v1/rollouts/" + id + "/devices?pageSize=100");
        }

        JsonNode awaitEnd(String id, Duration atMost) {
            JsonNode[] last = new JsonNode[1];
            await().atMost(atMost).pollInterval(Duration.ofMillis(250)).until(() -> {
                last[0] = rollout(id);
                return List.of("finished", "paused", "stopped", "failed").contains(last[0].path("status").asText());
            });
            return last[0];
        }
    }

    /** The instances heartbeating within the lease. */
    static List<String> liveInstances(Database db) {
        return new ServerInstances(db, Clock.systemUTC(), "test-reader").live(LEASE);
    }

    /** Every ledger row of the fleet's devices for the program. */
    static List<DeliveryLedger.Delivery> ledger(Database db, List<String> devices) {
        DeliveryLedger ledger = new DeliveryLedger(db, Clock.systemUTC());
        List<DeliveryLedger.Delivery> rows = new ArrayList<>();
        for (String d : devices) {
            rows.addAll(ledger.list(d, PROGRAM, null, 100));
        }
        return rows;
    }

    /**
     * The rollout finished with every device installed, counted once; the ledger holds exactly
     * one installed row of the version per device, named with the rollout; nothing is unfinished
     * anywhere; every row of {@code killed} ended, and those that ended after {@code killedAt}
     * failed {@code server-lost} (there is at least one: the kill caught deliveries in flight).
     *
     * @return the ledger rows
     */
    static List<DeliveryLedger.Delivery> assertInstalledExactlyOnce(JsonNode done, String id, List<String> devices,
            Database db, String killed, Instant killedAt) {
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("finished");
        JsonNode counts = done.path("counts");
        assertThat(counts.path("installed").asInt()).as(counts.toString()).isEqualTo(devices.size());
        for (String state : List.of("scheduled", "offered", "delivering", "failed", "timed-out", "excluded",
                "cancelled")) {
            assertThat(counts.path(state).asInt()).as(state + " in " + counts).isZero();
        }
        List<DeliveryLedger.Delivery> rows = ledger(db, devices);
        for (String d : devices) {
            List<DeliveryLedger.Delivery> installed = rows.stream().filter(r -> r.deviceId().equals(d)
                    && VERSION.equals(r.version()) && "installed".equals(r.outcome())).toList();
            assertThat(installed).as("installed ledger rows of " + d).hasSize(1);
            assertThat(installed.get(0).rolloutId()).isEqualTo(id);
        }
        assertThat(rows).as("unfinished ledger rows").noneMatch(r -> r.outcome().equals("requested")
                || r.outcome().equals("sending"));
        List<DeliveryLedger.Delivery> ofKilled = rows.stream().filter(r -> killed.equals(r.instanceId())).toList();
        assertThat(ofKilled).isNotEmpty();
        List<DeliveryLedger.Delivery> endedAfterKill = ofKilled.stream()
                .filter(r -> r.finishedAt() != null && r.finishedAt().isAfter(killedAt)).toList();
        assertThat(endedAfterKill).as("rows of the killed instance that ended after the kill").isNotEmpty()
                .allSatisfy(r -> {
                    assertThat(r.outcome()).isEqualTo("failed");
                    assertThat(r.reasonCode()).isEqualTo("server-lost");
                });
        return rows;
    }
}
