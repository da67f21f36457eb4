package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.progdist.gateway.DeviceBus;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.gateway.FirstPathException;
import dev.progdist.gateway.SessionKeeper;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.Pem;
import dev.progdist.protocol.wire.SessionResponse;
import dev.progdist.protocol.wire.TrpStatus;
import dev.progdist.trp.TrpIdentityStore;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three apps on their real parts in one JVM: the server (camel-main, embedded Artemis with a
 * file journal, H2 file database, Jetty HTTPS), a gateway that logs in over real TLS trusting only
 * the distribution CA and hosts the device bus on loopback TCP, and an EC and an RSA TRP emulator
 * that answer status requests over that bus.
 */
class FoundationIntegrationTest {

    private static final char[] SECRET = "it-secret-0123456789".toCharArray();

    @TempDir
    static Path dir;
    static Fleet fleet;
    static Home home;
    static int port;
    static Main gateway;

    @BeforeAll
    static void startEverything() throws Exception {
        // Fleet adds the user through a second connection to the file database while the server
        // runs: the path of the CLI's 'user add'
        fleet = Fleet.start(dir, "bob", SECRET, Map.of("it-ec", KeyType.EC_P256, "it-rsa", KeyType.RSA_3072));
        home = fleet.home;
        port = fleet.port;
        gateway = fleet.gateway;
    }

    @AfterAll
    static void stopEverything() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void theGatewayLogsInOverRealTls() {
        SessionResponse session = gateway.getCamelContext().getRegistry()
                .lookupByNameAndType("sessionKeeper", SessionKeeper.class).session();

        assertThat(session.userId()).isEqualTo("bob");
        assertThat(session.role()).isEqualTo("user");
        assertThat(session.token()).hasSize(43);
        assertThat(session.expiresAt()).isAfter(java.time.Instant.now().plus(Duration.ofMinutes(25)));
    }

    @Test
    void theSessionKeeperRefreshesAndLogsInAgainWhenTheSessionIsGone() {
        FirstPathClient client = new FirstPathClient(URI.create("https://localhost:" + port),
                home.pkiDir().resolve("distribution-ca.crt"), Duration.ofSeconds(10));
        // a margin longer than the session's life: every renewIfDue refreshes
        try (SessionKeeper keeper = new SessionKeeper(client, "bob", SECRET, Duration.ofHours(1), Clock.systemUTC())) {
            SessionResponse first = keeper.session();
            keeper.renewIfDue();
            SessionResponse refreshed = keeper.session();
            assertThat(refreshed.sessionId()).isEqualTo(first.sessionId());
            assertThat(refreshed.expiresAt()).isAfter(first.expiresAt());

            client.logout(refreshed); // the server ends it behind the keeper's back
            keeper.renewIfDue();
            SessionResponse again = keeper.session();
            assertThat(again.sessionId()).isNotEqualTo(first.sessionId());
            assertThat(client.refresh(again).expiresAt()).isAfter(java.time.Instant.now());
        }
    }

    @Test
    void eachTrpAnswersAStatusRequestOverTheRealBroker() {
        DeviceBus bus = gateway.getCamelContext().getRegistry().lookupByNameAndType("deviceBus", DeviceBus.class);
        for (String device : List.of("it-ec", "it-rsa")) {
            TrpStatus status = await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> bus.status(device), s -> s != null);
            TrpIdentityStore identity = TrpIdentityStore.open(home, device);
            assertThat(status.deviceId()).isEqualTo(device);
            assertThat(status.certificateFingerprint()).isEqualTo(identity.fingerprint());
            assertThat(status.keyType()).isEqualTo(device.endsWith("ec") ? "ec" : "rsa");
            assertThat(status.installed()).isEmpty();
        }
    }

    @Test
    void aRequestForATrpThatIsNotThereTimesOutWithAClearReason() {
        DeviceBus bus = gateway.getCamelContext().getRegistry().lookupByNameAndType("deviceBus", DeviceBus.class);
        assertThatThrownBy(() -> bus.status("it-absent"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("it-absent")
                .hasMessageContaining("did not answer");
    }

    @Test
    void theGatewayRefusesAServerItsDistributionCaDidNotCertify(@TempDir Path other) {
        // a second, unrelated PKI: its distribution CA is the only anchor this client trusts
        DevelopmentPki foreign = DevelopmentPki.init(Home.at(other), DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        FirstPathClient client = new FirstPathClient(URI.create("https://localhost:" + port),
                foreign.distributionCaPem(), Duration.ofSeconds(10));

        assertThatThrownBy(() -> client.login("bob", SECRET))
                .isInstanceOf(FirstPathException.class)
                .satisfies(e -> assertThat(((FirstPathException) e).status()).isZero())
                .hasMessageContaining("cannot reach");
    }

    @Test
    void theGatewayChecksTheServerHostName() throws Exception {
        // the certificate names localhost and 127.0.0.1 only; another name for the same socket must fail
        Path trust = home.pkiDir().resolve("distribution-ca.crt");
        assertThat(Pem.readCertificates(trust)).hasSize(1);
        FirstPathClient byOtherName = new FirstPathClient(URI.create("https://127.0.0.2:" + port), trust,
                Duration.ofSeconds(10));
        assertThatThrownBy(() -> byOtherName.login("bob", SECRET)).isInstanceOf(FirstPathException.class);
    }

    @Test
    void stateLivesInTheHomeDirectory() {
        assertThat(Files.exists(home.databaseDir().resolve("progdist.mv.db"))).isTrue();
        assertThat(home.brokerDir().resolve("journal")).isDirectory();
        assertThat(home.gatewayDir().resolve("bus").resolve("journal")).isDirectory();
    }
}
