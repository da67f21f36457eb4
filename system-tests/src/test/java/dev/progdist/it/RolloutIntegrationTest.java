package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.fleet.FaultPlan;
import dev.progdist.fleet.FleetProvisioning;
import dev.progdist.fleet.FleetRunner;
import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.gateway.FirstPathException;
import dev.progdist.gateway.SessionKeeper;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.keys.Signatures;
import dev.progdist.protocol.program.InstallReceipt;
import dev.progdist.protocol.wire.SessionResponse;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.trp.InstalledPrograms;
import dev.progdist.trp.TrpIdentityStore;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollouts on the real parts: a server (H2 file database, embedded Artemis, Jetty HTTPS), a fleet
 * simulator of TRPs with their gateways checking in over the first path, and the operator API.
 * Nobody acts per device: the gateways learn of their assignments at check-in and their TRPs fetch
 * over the second path; only receipts the server verified count as installed.
 *
 * <p>Devices: R-0001 refuses to install, R-0002 signs bad receipts, R-0003 vanishes mid-delivery,
 * R-0004 … R-0012 behave; R-0013 is registered but never runs (it never checks in); R-0010 is
 * revoked before any rollout. Each test rolls out its own version (the crash test its own program,
 * {@code relink}, to R-0005), so they do not see each other's installs.
 */
class RolloutIntegrationTest {

    static final char[] SECRET = "rollout-it-secret".toCharArray();
    static final char[] OPS_SECRET = "rollout-ops-secret".toCharArray();

    @TempDir
    static Path dir;
    static Fleet system;
    static FleetRunner fleet;
    static FirstPathClient api;
    static SessionResponse ops;
    static Connection events;
    static final List<JsonNode> received = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Map<String, String> settings = new HashMap<>(Map.of(
                "progdist.auth.max-sessions-per-user", "50",
                "progdist.channel.max-per-user", "50",
                "progdist.rollout.scheduler-period", "200",
                "progdist.rollout.events-period", "200",
                "progdist.rollout.check-in-after", "PT1S",
                // the fixture's own gateway (GatewayMain, as `gateway run --device G-1`) checks in for its TRP
                "progdist.gateway.devices", "G-1",
                "progdist.gateway.check-in-period", "1000"));
        system = Fleet.start(dir, "fleet-owner", SECRET,
                Map.of("G-1", dev.progdist.protocol.keys.CertificateProfile.KeyType.EC_P256), settings);
        system.register("G-1", "fleet-owner");
        system.addUser("ops", OPS_SECRET, Role.OPERATOR);
        FleetProvisioning.provision(system.home, "R", 13, FleetProvisioning.KeyChoice.MIXED, "fleet-owner",
                RolloutIntegrationTest::registerWithCertificate, n -> { });
        // R-0010 is revoked before any rollout: it must be excluded, never sent anything
        system.pki.revokeDevice("R-0010", "keyCompromise");
        for (String v : List.of("1.0.0", "2.0.0", "3.0.0", "4.0.0", "5.0.0")) {
            byte[] program = new byte[50_000 + v.charAt(0)];
            new java.util.Random(v.hashCode()).nextBytes(program);
            system.publish("app", v, program);
        }
        system.grant("app", "fleet-owner");

        ConnectionFactory cf = system.serverBean("jmsConnectionFactory", ConnectionFactory.class);
        events = cf.createConnection();
        Session s = events.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer consumer = s.createConsumer(s.createTopic("progdist.rollout.events"));
        consumer.setMessageListener(m -> {
            try {
                received.add(Json.mapper().readTree(((TextMessage) m).getText()));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        events.start();

        fleet = FleetRunner.start(FleetRunner.Options.of(dir, "R", 12, "fleet-owner", SECRET)
                .withServers(List.of(URI.create("https://localhost:" + system.port)))
                .withCheckInPeriod(Duration.ofSeconds(1))
                .withFaults(FaultPlan.parse("refuse-install=1,bad-receipt=1,vanish=1"), Duration.ofMillis(200))
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10)));
        api = system.client();
        ops = api.login("ops", OPS_SECRET);
    }

    static void registerWithCertificate(String device, String owner, java.security.cert.X509Certificate cert) {
        try (Database db = Database.openHome(system.home, 1)) {
            new DeviceRegistry(db, Clock.systemUTC()).register(device, owner, "test", cert);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(events, fleet, system);
    }

    static JsonNode create(Map<String, Object> request) {
        return api.postJson(ops, "/api/v1/rollouts", request);
    }

    static Map<String, Object> rollout(String version, List<String> devices) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("programId", "app");
        r.put("version", version);
        r.put("targets", Map.of("devices", devices));
        r.put("start", true);
        return r;
    }

    static JsonNode awaitStatus(String id, String... statuses) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = api.getJson(ops, "/api/v1/rollouts/" + id);
            return List.of(statuses).contains(last[0].path("status").asText());
        });
        return last[0];
    }

    static JsonNode devicePage(String id, String state) {
        return api.getJson(ops, "/api/v1/rollouts/" + id + "/devices?pageSize=100" + (state == null ? "" : "&state=" + state));
    }

    static String stateOf(String id, String device) {
        for (JsonNode d : devicePage(id, null).path("devices")) {
            if (d.path("deviceId").asText().equals(device)) {
                return d.path("state").asText() + "/" + d.path("reason").asText("");
            }
        }
        return null;
    }

    @Test
    void aCanaryThenTheRestInstallsEveryHonestDeviceAndExcludesTheRevokedOne() {
        Map<String, Object> r = rollout("1.0.0", List.of("R-0004", "R-0005", "R-0006", "R-0007", "R-0008", "R-0009",
                "R-0010"));
        r.put("groups", List.of(Map.of("percent", 20), Map.of("percent", 100)));
        r.put("mode", "wrapped");
        JsonNode created = create(r);
        String id = created.path("id").asText();
        assertThat(created.path("counts").path("excluded").asInt()).isEqualTo(1);

        JsonNode done = awaitStatus(id, "finished", "paused", "stopped", "failed");
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("finished");
        assertThat(done.path("counts").path("installed").asInt()).isEqualTo(6);
        assertThat(done.path("counts").path("excluded").asInt()).isEqualTo(1);
        assertThat(done.path("groups")).hasSize(2);
        assertThat(done.path("groups").get(0).path("size").asInt()).isEqualTo(2);
        assertThat(stateOf(id, "R-0010")).isEqualTo("excluded/cert-revoked");
        // installed means a verified receipt in the ledger, one per device, nothing sent to the revoked one
        for (String d : List.of("R-0004", "R-0005", "R-0006", "R-0007", "R-0008", "R-0009")) {
            List<DeliveryLedger.Delivery> rows = system.deliveries(d).stream()
                    .filter(x -> "1.0.0".equals(x.version()) && "installed".equals(x.outcome())).toList();
            assertThat(rows).as(d).hasSize(1);
            assertThat(rows.get(0).rolloutId()).isEqualTo(id);
            assertThat(rows.get(0).envelopeSha256()).isNotBlank();
        }
        assertThat(system.deliveries("R-0010")).isEmpty();
        // the events topic saw the rollout finish and every device install
        await().atMost(Duration.ofSeconds(10)).until(() -> received.stream().anyMatch(e -> id.equals(e.path("rolloutId").asText())
                && "rollout".equals(e.path("type").asText()) && "finished".equals(e.path("to").asText())));
        assertThat(received.stream().filter(e -> id.equals(e.path("rolloutId").asText())
                && "assignment".equals(e.path("type").asText()) && "installed".equals(e.path("to").asText()))
                .map(e -> e.path("deviceId").asText()).distinct()).hasSize(6);
        // the same version again: every device already holds it on a verified receipt
        JsonNode again = create(rollout("1.0.0", List.of("R-0004", "R-0005")));
        JsonNode agreed = awaitStatus(again.path("id").asText(), "finished", "paused", "stopped", "failed");
        assertThat(agreed.path("counts").path("installed").asInt()).isEqualTo(2);
        assertThat(stateOf(again.path("id").asText(), "R-0004")).isEqualTo("installed/already-installed");
    }

    /**
     * The crash between a TRP's receipt and its verification: the TRP installed the version and
     * signed, the server never recorded it (the ledger row ends {@code server-lost}). The rollout's
     * delivery of the version the TRP already holds is served again, the TRP re-installs the
     * identical bytes and signs a receipt of its own for this delivery, and only that verified
     * receipt makes the device {@code installed}: once.
     */
    @Test
    void aDeviceWhoseReceiptWasLostInACrashEndsInstalledOnAFreshVerifiedReceipt() throws Exception {
        String device = "R-0005";
        byte[] program = new byte[30_000];
        new java.util.Random(42).nextBytes(program);
        system.publish("relink", "1.0", program);
        system.grant("relink", "fleet-owner");

        // an ordinary delivery outside any rollout, as the fleet's gateway would relay it
        FirstPathClient client = system.client();
        SessionKeeper keeper = new SessionKeeper(client, "fleet-owner", SECRET, Duration.ofMinutes(5), Clock.systemUTC());
        ChannelRelay.Outcome first;
        try {
            first = new ChannelRelay(keeper, client, fleet.bus()).fetch(device,
                    new ChannelRelay.Fetch("relink", "1.0", null));
        } finally {
            keeper.close();
        }
        assertThat(first.installed()).as(first.toString()).isTrue();
        DeliveryLedger.Delivery lost = relinkRows(device).get(0);
        assertThat(lost.outcome()).isEqualTo("installed");
        // ... but as if the server had died before it verified the receipt: the row the heartbeat
        // sweep leaves behind, with no receipt recorded
        Database db = system.serverBean("database", Database.class); // the server's pool: not ours to close
        try (java.sql.Connection c = db.connection(); java.sql.PreparedStatement ps = c.prepareStatement(
                "UPDATE deliveries SET outcome = 'failed', reason_code = 'server-lost', reason_detail = 'test crash', "
                        + "envelope_sha256 = NULL, receipt_signature = NULL WHERE delivery_id = ?")) {
            ps.setString(1, lost.deliveryId());
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }

        Map<String, Object> r = rollout("1.0", List.of(device));
        r.put("programId", "relink");
        JsonNode created = create(r);
        String id = created.path("id").asText();
        JsonNode done = awaitStatus(id, "finished", "paused", "stopped", "failed");
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("finished");
        assertThat(done.path("counts").path("installed").asInt()).isEqualTo(1);
        assertThat(done.path("counts").path("failed").asInt()).isZero();
        assertThat(stateOf(id, device)).as("a new receipt, not the ledger's earlier word")
                .isEqualTo("installed/");

        List<DeliveryLedger.Delivery> rows = relinkRows(device);
        assertThat(rows).extracting(DeliveryLedger.Delivery::outcome).containsExactlyInAnyOrder("installed", "failed");
        DeliveryLedger.Delivery lostAfter = rows.stream().filter(x -> x.deliveryId().equals(lost.deliveryId()))
                .findFirst().orElseThrow();
        assertThat(lostAfter.outcome()).as("the lost row stays failed").isEqualTo("failed");
        assertThat(lostAfter.reasonCode()).isEqualTo("server-lost");
        DeliveryLedger.Delivery again = rows.stream().filter(x -> "installed".equals(x.outcome())).findFirst()
                .orElseThrow();
        assertThat(again.deliveryId()).isNotEqualTo(lost.deliveryId());
        assertThat(again.rolloutId()).isEqualTo(id);
        assertThat(again.serverNonce()).as("a fresh nonce").isNotEqualTo(lost.serverNonce());
        assertThat(again.programSha256()).isEqualTo(Fleet.sha256(program));
        // the receipt the server recorded verifies with the device's key over this delivery's statement
        String signature;
        try (java.sql.Connection c = db.connection(); java.sql.PreparedStatement ps = c.prepareStatement(
                "SELECT receipt_signature FROM deliveries WHERE delivery_id = ?")) {
            ps.setString(1, again.deliveryId());
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                signature = rs.getString(1);
            }
        }
        InstallReceipt statement = new InstallReceipt(device, "relink", "1.0", again.programSha256(),
                again.envelopeSha256(), again.sessionId(), again.serverNonce());
        Signatures.verify(TrpIdentityStore.open(system.home, device).certificate().getPublicKey(),
                statement.signedBytes(), Signatures.decodeBase64(signature));
        // the TRP holds the same bytes; one installed event for the device, nothing counted twice
        InstalledPrograms store = new InstalledPrograms(system.home, device);
        assertThat(store.installedVersion("relink")).contains("1.0");
        assertThat(java.nio.file.Files.readAllBytes(store.programFile("relink").orElseThrow())).isEqualTo(program);
        await().atMost(Duration.ofSeconds(10)).until(() -> received.stream().anyMatch(e -> id.equals(e.path("rolloutId").asText())
                && "rollout".equals(e.path("type").asText()) && "finished".equals(e.path("to").asText())));
        assertThat(received.stream().filter(e -> id.equals(e.path("rolloutId").asText())
                && "assignment".equals(e.path("type").asText()) && "installed".equals(e.path("to").asText())))
                .hasSize(1);
    }

    static List<DeliveryLedger.Delivery> relinkRows(String device) {
        return system.deliveries(device).stream().filter(x -> "relink".equals(x.programId())).toList();
    }

    @Test
    void aRunningGatewayPicksUpItsDevicesAssignmentWithNoActionPerDevice() {
        String id = create(rollout("5.0.0", List.of("G-1"))).path("id").asText();
        JsonNode done = awaitStatus(id, "finished", "paused", "stopped", "failed");
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("finished");
        assertThat(stateOf(id, "G-1")).isEqualTo("installed/");
        assertThat(system.deliveries("G-1").stream().filter(d -> "5.0.0".equals(d.version())
                && "installed".equals(d.outcome()) && id.equals(d.rolloutId()))).hasSize(1);
    }

    @Test
    void aForgedReceiptStopsTheRolloutAtOnceWithAnAlert() {
        Map<String, Object> r = rollout("2.0.0", List.of("R-0002", "R-0011"));
        r.put("securityThreshold", 1);
        String id = create(r).path("id").asText();
        JsonNode done = awaitStatus(id, "stopped", "finished", "paused", "failed");
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("stopped");
        assertThat(done.path("reason").asText()).isEqualTo("security-threshold");
        assertThat(done.path("securityFailures").asInt()).isEqualTo(1);
        assertThat(stateOf(id, "R-0002")).isEqualTo("failed/receipt-invalid");
        assertThat(system.deliveries("R-0002").stream().filter(x -> "2.0.0".equals(x.version())))
                .noneMatch(x -> "installed".equals(x.outcome()));
        await().atMost(Duration.ofSeconds(10)).until(() -> received.stream().anyMatch(e ->
                id.equals(e.path("rolloutId").asText()) && "alert".equals(e.path("type").asText())));
    }

    @Test
    void installFailuresPauseTheRolloutAtTheErrorThreshold() {
        Map<String, Object> r = rollout("3.0.0", List.of("R-0001", "R-0012"));
        r.put("errorThreshold", "1");
        String id = create(r).path("id").asText();
        JsonNode done = awaitStatus(id, "paused", "finished", "stopped", "failed");
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("paused");
        assertThat(done.path("reason").asText()).isEqualTo("error-threshold");
        assertThat(stateOf(id, "R-0001")).isEqualTo("failed/trp-install-failed");
        assertThat(done.path("securityFailures").asInt()).isZero();
        // resume acknowledges the error; the honest device finishes. Offered before the pause, it may
        // have fetched in the moment between the pause and its claim: that fetch is then no longer
        // the rollout's, and the TRP-signed receipt it left counts as already-installed after resume
        api.postJson(ops, "/api/v1/rollouts/" + id + "/resume", Map.of());
        await().atMost(Duration.ofSeconds(60)).until(() -> String.valueOf(stateOf(id, "R-0012")).startsWith("installed/"));
        assertThat(stateOf(id, "R-0012")).isIn("installed/", "installed/already-installed");
        assertThat(system.deliveries("R-0012").stream().filter(d -> "3.0.0".equals(d.version())
                && "installed".equals(d.outcome()))).hasSize(1);
    }

    @Test
    void aDeviceThatNeverChecksInTimesOut() {
        Map<String, Object> r = rollout("4.0.0", List.of("R-0013"));
        r.put("deviceTimeout", "10s");
        String id = create(r).path("id").asText();
        JsonNode done = awaitStatus(id, "paused", "finished", "stopped", "failed");
        assertThat(stateOf(id, "R-0013")).isEqualTo("timed-out/timed-out");
        assertThat(done.path("counts").path("timed-out").asInt()).isEqualTo(1);
        assertThat(done.path("status").asText()).isEqualTo("paused");
    }

    @Test
    void badRequestsAreRefusedAndCreateNothing() {
        int before = api.getJson(ops, "/api/v1/rollouts").path("rollouts").size();
        Map<String, Object> unknownDevice = rollout("1.0.0", List.of("R-0004", "nobody-1"));
        assertProblem(() -> create(unknownDevice), "nobody-1");
        Map<String, Object> badVersion = rollout("9.9.9", List.of("R-0004"));
        assertProblem(() -> create(badVersion), "9.9.9");
        Map<String, Object> badGroups = rollout("1.0.0", List.of("R-0004"));
        badGroups.put("groups", List.of(Map.of("percent", 50), Map.of("percent", 40)));
        assertProblem(() -> create(badGroups), "");
        Map<String, Object> never = rollout("1.0.0", List.of("R-0004"));
        never.put("window", "10:00-10:00");
        assertProblem(() -> create(never), "");
        assertThat(api.getJson(ops, "/api/v1/rollouts").path("rollouts").size()).isEqualTo(before);
        // a device user may not use the operator API
        FirstPathClient other = system.client();
        SessionResponse user = other.login("fleet-owner", SECRET);
        try {
            other.getJson(user, "/api/v1/rollouts");
            throw new AssertionError("a device user listed rollouts");
        } catch (FirstPathException e) {
            assertThat(e.status()).isEqualTo(403);
        }
    }

    private static void assertProblem(Runnable call, String mentioned) {
        try {
            call.run();
            throw new AssertionError("accepted");
        } catch (FirstPathException e) {
            assertThat(e.status()).isBetween(400, 499);
            assertThat(e.getMessage()).contains(mentioned);
        }
    }
}
