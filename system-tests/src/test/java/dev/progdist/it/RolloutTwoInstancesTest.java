package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.fleet.FaultPlan;
import dev.progdist.fleet.FleetRunner;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.ServerInstances;
import dev.progdist.processors.testing.PostgresSchema;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.bus.EmbeddedBroker;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.security.auth.Subject;
import org.apache.activemq.artemis.core.security.CheckType;
import org.apache.activemq.artemis.core.security.Role;
import org.apache.activemq.artemis.spi.core.protocol.RemotingConnection;
import org.apache.activemq.artemis.spi.core.security.ActiveMQSecurityManager5;
import org.apache.activemq.artemis.spi.core.security.jaas.UserPrincipal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two server instances on one PostgreSQL schema and one Artemis broker (docs/rollouts.md,
 * "Running many instances"): both processes of their own on one home (so one PKI and one blob
 * store), the broker in this JVM on loopback TCP, the fleet of ten TRPs in this JVM with half the
 * devices on instance A first and half on B, each failing over to the other. The rollout is
 * created through A; A is killed with SIGKILL while deliveries run on it. B alone must finish the
 * rollout (its scheduler, its crash check): every device installed exactly once, the deliveries A
 * left unfinished failed {@code server-lost}, A's devices delivered again through B.
 */
@Tag("slow")
@EnabledIfEnvironmentVariable(named = "PROGDIST_TEST_POSTGRES_URL", matches = "jdbc:postgresql:.*")
class RolloutTwoInstancesTest {

    private static final Logger LOG = LoggerFactory.getLogger(RolloutTwoInstancesTest.class);
    static final int DEVICES = 10;
    static final String BROKER_USER = "progdist-server";

    @TempDir
    Path dir;
    PostgresSchema schema;
    EmbeddedBroker broker;
    final List<ServerProcess> servers = new ArrayList<>();
    FleetRunner fleet;

    @AfterEach
    void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
        for (ServerProcess s : servers) {
            s.close();
        }
        if (broker != null) {
            broker.close();
        }
        if (schema != null) {
            schema.close();
        }
    }

    @Test
    void aRolloutSurvivesTheDeathOfTheInstanceThatCreatedIt() throws Exception {
        Home home = CrashRollouts.home(dir.resolve("home"));
        schema = PostgresSchema.create(4);
        Database db = schema.database();
        CrashRollouts.prepare(home, db, "M", DEVICES);

        char[] brokerSecret = randomSecret();
        int brokerPort = Fleet.freePort();
        broker = new EmbeddedBroker("it-shared-broker", dir.resolve("broker"), "tcp://127.0.0.1:" + brokerPort,
                new ServerOnly(brokerSecret), 1024 * 1024).start();

        Map<String, String> settings = CrashRollouts.serverSettings();
        String url = System.getenv("PROGDIST_TEST_POSTGRES_URL");
        settings.put("progdist.db.url", url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema.name());
        settings.put("progdist.db.user", System.getenv("PROGDIST_TEST_POSTGRES_USER"));
        settings.put("progdist.db.pool-size", "6");
        settings.put("progdist.broker.url", "tcp://127.0.0.1:" + brokerPort);
        settings.put("progdist.broker.user", BROKER_USER);
        // secrets through the environment, not on the command line
        Map<String, String> env = Map.of("PROGDIST_DB_PASSWORD", System.getenv("PROGDIST_TEST_POSTGRES_PASSWORD"),
                "PROGDIST_BROKER_PASSWORD", new String(brokerSecret));
        Path logs = CrashRollouts.logDir("two-instances");
        ServerProcess a = new ServerProcess("server-a", home, Fleet.freePort(), settings, env, logs).start();
        servers.add(a);
        List<String> live = CrashRollouts.liveInstances(db);
        assertThat(live).hasSize(1);
        String instanceA = live.get(0);
        ServerProcess b = new ServerProcess("server-b", home, Fleet.freePort(), settings, env, logs).start();
        servers.add(b);
        List<String> both = CrashRollouts.liveInstances(db);
        assertThat(both).hasSize(2).contains(instanceA);
        String instanceB = both.stream().filter(i -> !i.equals(instanceA)).findFirst().orElseThrow();

        // device i starts on server i mod 2: M-0001 on A, M-0002 on B, …; the slow ones on both
        fleet = FleetRunner.start(FleetRunner.Options.of(home.root(), "M", DEVICES, CrashRollouts.USER,
                        CrashRollouts.SECRET)
                .withServers(List.of(a.url(), b.url()))
                .withCheckInPeriod(Duration.ofSeconds(1))
                .withFaults(FaultPlan.parse("slow=6"), Duration.ofMillis(1500))
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(20)));
        List<String> devices = fleet.devices();

        CrashRollouts.Operator opsA = CrashRollouts.Operator.login(home, a.url());
        String id = opsA.create(CrashRollouts.rollout(devices)).path("id").asText();

        // kill A while devices are installed and deliveries run on A (its ledger rows unfinished)
        JsonNode[] before = new JsonNode[1];
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            before[0] = opsA.rollout(id);
            long onA = CrashRollouts.ledger(db, devices).stream().filter(r -> instanceA.equals(r.instanceId())
                    && (r.outcome().equals("requested") || r.outcome().equals("sending"))).count();
            return before[0].path("counts").path("installed").asInt() >= 2 && onA >= 1;
        });
        a.kill();
        Instant killedAt = Instant.now();
        LOG.info("Killed server A (instance {}) with the rollout at {}", instanceA, before[0].path("counts"));

        CrashRollouts.Operator opsB = CrashRollouts.Operator.login(home, b.url());
        JsonNode done = opsB.awaitEnd(id, Duration.ofMinutes(3));
        List<DeliveryLedger.Delivery> rows = CrashRollouts.assertInstalledExactlyOnce(done, id, devices, db, instanceA,
                killedAt);
        // B's scheduler finished what A started, and B's crash check failed A's deliveries
        assertThat(Instant.parse(done.path("endedAt").asText())).isAfter(killedAt);
        assertThat(rows.stream().filter(r -> "installed".equals(r.outcome()) && r.finishedAt().isAfter(killedAt)))
                .as("installs after A died").isNotEmpty().allSatisfy(r -> assertThat(r.instanceId()).isEqualTo(instanceB));
        assertThat(rows.stream().filter(r -> "server-lost".equals(r.reasonCode())))
                .allSatisfy(r -> assertThat(r.instanceId()).isEqualTo(instanceA));
        // a device of A that lost its delivery was delivered again through B
        assertThat(fleet.failovers()).isGreaterThanOrEqualTo(1);
        // a clean stop (SIGTERM) deregisters B: nothing of it would wait for the lease
        fleet.close();
        b.close();
        assertThat(b.exitCode()).as(b.logTail()).isNotEqualTo(137);
        assertThat(new ServerInstances(db, Clock.systemUTC(), "test-reader").live(Duration.ofDays(1)))
                .as("instances after B stopped cleanly").contains(instanceA).doesNotContain(instanceB);
        LOG.info("Ledger: {} rows, {} server-lost, {} installs by B after the kill; {} failovers", rows.size(),
                rows.stream().filter(r -> "server-lost".equals(r.reasonCode())).count(),
                rows.stream().filter(r -> "installed".equals(r.outcome()) && r.finishedAt().isAfter(killedAt)).count(),
                fleet.failovers());
    }

    private static char[] randomSecret() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b).toCharArray();
    }

    /** The shared broker's only user: the servers, who may do anything. */
    static final class ServerOnly implements ActiveMQSecurityManager5 {
        private final char[] secret;

        ServerOnly(char[] secret) {
            this.secret = secret.clone();
        }

        @Override
        public Subject authenticate(String user, String password, RemotingConnection connection, String domain) {
            if (!BROKER_USER.equals(user) || password == null
                    || !java.security.MessageDigest.isEqual(password.getBytes(), new String(secret).getBytes())) {
                return null;
            }
            Subject s = new Subject();
            s.getPrincipals().add(new UserPrincipal(user));
            return s;
        }

        @Override
        public boolean authorize(Subject subject, Set<Role> roles, CheckType checkType, String address) {
            return subject != null && !subject.getPrincipals(UserPrincipal.class).isEmpty();
        }

        @Override
        public boolean validateUser(String user, String password) {
            return false;
        }

        @Override
        public boolean validateUserAndRole(String user, String password, Set<Role> roles, CheckType checkType) {
            return false;
        }
    }
}
