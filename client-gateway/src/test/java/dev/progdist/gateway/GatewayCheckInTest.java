package dev.progdist.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.SecretSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's check-in bean against a small real HTTPS server (the development PKI's server
 * certificate, the client trusting only the distribution CA) that answers logins and check-ins
 * as the design says the server does. The fetch is recorded, not relayed: this is the bean's
 * logic, not the second path.
 */
class GatewayCheckInTest {

    @TempDir
    static Path home;

    private HttpsServer server;
    /** The check-in answer per device: status and JSON body. */
    private final Map<String, Object[]> answers = new ConcurrentHashMap<>();
    private final List<String> checkIns = new CopyOnWriteArrayList<>();
    private final List<String> fetches = new CopyOnWriteArrayList<>();
    private FirstPathClient client;
    private SessionKeeper keeper;

    @BeforeEach
    void startServer() throws Exception {
        Home h = Home.at(home);
        if (!DevelopmentPki.exists(h)) {
            DevelopmentPki.init(h, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        }
        char[] password = new SecretSource(h).get(DevelopmentPki.SERVER_HTTPS_PASSWORD);
        KeyStore store = KeyStores.load(h.serverHttpsStore(), password);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, password);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/api/v1/sessions", this::handle);
        server.start();
        client = new FirstPathClient(URI.create("https://localhost:" + server.getAddress().getPort()),
                h.distributionCaCertificate(), Duration.ofSeconds(5));
        keeper = new SessionKeeper(client, "dora", "secret".toCharArray(), Duration.ofMinutes(5), Clock.systemUTC());
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private void handle(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        byte[] request = x.getRequestBody().readNBytes(4096);
        if (path.equals("/api/v1/sessions") && x.getRequestMethod().equals("POST")) {
            reply(x, 201, "{\"sessionId\":\"s-1\",\"token\":\"tok\",\"expiresAt\":\""
                    + Instant.now().plusSeconds(600) + "\",\"userId\":\"dora\",\"role\":\"user\"}");
        } else if (path.equals("/api/v1/sessions/s-1/check-in")
                && "Bearer tok".equals(x.getRequestHeaders().getFirst("Authorization"))) {
            String device = dev.progdist.protocol.json.Json.mapper().readTree(request).path("deviceId").asText();
            checkIns.add(device);
            Object[] answer = answers.getOrDefault(device,
                    new Object[] {200, "{\"deviceId\":\"" + device + "\",\"offer\":null,\"checkInAfter\":\"PT5S\"}"});
            reply(x, (Integer) answer[0], (String) answer[1]);
        } else {
            reply(x, 404, "{}");
        }
    }

    private static void reply(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", status >= 400 ? "application/problem+json" : "application/json");
        x.sendResponseHeaders(status, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    private void offer(String device, String rollout, String program, String version, String mode) {
        answers.put(device, new Object[] {200, "{\"deviceId\":\"" + device + "\",\"offer\":{\"rolloutId\":\"" + rollout
                + "\",\"programId\":\"" + program + "\",\"version\":\"" + version + "\",\"mode\":\"" + mode
                + "\"},\"checkInAfter\":\"PT5S\"}"});
    }

    /** A fetch that records what it was asked and reports the TRP's installed program and an accepted receipt. */
    private ChannelRelay.Outcome installs(String device, ChannelRelay.Fetch f) {
        fetches.add(device + " " + f.programId() + " " + f.version() + " " + f.mode());
        return new ChannelRelay.Outcome("closed", Map.of("progdistBound", "true", "progdistDelivery", "installed",
                "progdistReceipt", "accepted"), "closed", null, 7);
    }

    @Test
    void anOfferIsFetchedAndNoOfferFetchesNothing() {
        offer("dev-b", "r-1", "hello", "1.2.0", "wrapped");
        GatewayCheckIn bean = new GatewayCheckIn(new DeviceCheckIn(keeper, client, this::installs),
                List.of("dev-a", "dev-b"), Duration.ofSeconds(5), Clock.systemUTC());

        List<DeviceCheckIn.Result> results = bean.checkInAll();

        assertThat(checkIns).containsExactly("dev-a", "dev-b");
        assertThat(fetches).containsExactly("dev-b hello 1.2.0 wrapped");
        assertThat(results).extracting(DeviceCheckIn.Result::outcome)
                .containsExactly(DeviceCheckIn.Outcome.IDLE, DeviceCheckIn.Outcome.INSTALLED);
        assertThat(results.get(1).offer()).isEqualTo(new FirstPathClient.Offer("r-1", "hello", "1.2.0", "wrapped"));
        assertThat(results.get(0).checkInAfter()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void aFailedDeliveryIsReportedWithTheTrpsCode() {
        offer("dev-a", "r-2", "hello", "2.0.0", "direct");
        DeviceCheckIn checkIn = new DeviceCheckIn(keeper, client, (device, f) -> new ChannelRelay.Outcome("closed",
                Map.of("progdistBound", "true", "progdistDelivery", "failed", "progdistChannelCode", "storage-full"),
                "failed", null, 3));

        DeviceCheckIn.Result r = checkIn.checkIn("dev-a");

        assertThat(r.outcome()).isEqualTo(DeviceCheckIn.Outcome.FAILED);
        assertThat(r.code()).isEqualTo("storage-full");
    }

    @Test
    void aRefusalIsReportedWithItsCodeAndFetchesNothing() {
        answers.put("dev-x", new Object[] {403, "{\"type\":\"urn:progdist:problem:device-not-owned\","
                + "\"code\":\"device-not-owned\",\"status\":403,\"detail\":\"device dev-x is not yours\"}"});
        DeviceCheckIn.Result r = new DeviceCheckIn(keeper, client, this::installs).checkIn("dev-x");

        assertThat(r.outcome()).isEqualTo(DeviceCheckIn.Outcome.REFUSED);
        assertThat(r.code()).isEqualTo("device-not-owned");
        assertThat(r.detail()).contains("device dev-x is not yours");
        assertThat(fetches).isEmpty();
    }

    @Test
    void anAnswerForAnotherDeviceOrAnInvalidOfferIsRefusedUnfetched() {
        answers.put("dev-a", new Object[] {200, "{\"deviceId\":\"dev-b\",\"offer\":null}"});
        offer("dev-c", "r-3", "../etc", "1.0.0", "direct");
        DeviceCheckIn checkIn = new DeviceCheckIn(keeper, client, this::installs);

        assertThat(checkIn.checkIn("dev-a").outcome()).isEqualTo(DeviceCheckIn.Outcome.UNREACHABLE);
        assertThat(checkIn.checkIn("dev-c").detail()).contains("programId or version");
        assertThat(fetches).isEmpty();
    }

    @Test
    void aServerThatIsDownIsAskedAgainAtTheNextCheckIn() {
        offer("dev-a", "r-4", "hello", "1.0.0", "direct");
        server.stop(0);
        GatewayCheckIn bean = new GatewayCheckIn(new DeviceCheckIn(keeper, client, this::installs), List.of("dev-a"),
                Duration.ofMillis(10), Clock.systemUTC());
        assertThat(bean.checkInAll()).extracting(DeviceCheckIn.Result::outcome)
                .containsExactly(DeviceCheckIn.Outcome.UNREACHABLE);
        assertThat(fetches).isEmpty();
    }

    @Test
    void aLongerPauseAskedByTheServerIsKept() {
        answers.put("dev-a", new Object[] {200, "{\"deviceId\":\"dev-a\",\"offer\":null,\"checkInAfter\":\"PT1H\"}"});
        GatewayCheckIn bean = new GatewayCheckIn(new DeviceCheckIn(keeper, client, this::installs), List.of("dev-a"),
                Duration.ofSeconds(5), Clock.systemUTC());
        bean.checkInAll();
        bean.checkInAll();
        assertThat(checkIns).containsExactly("dev-a");
    }

    @Test
    void theGatewaysCheckInRouteChecksInForItsDevicesOnItsTimer() throws Exception {
        int busPort;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            busPort = free.getLocalPort();
        }
        org.apache.camel.main.Main gateway = GatewayMain.create(Map.of("progdist.home", home.toString(),
                "progdist.gateway.server", "https://localhost:" + server.getAddress().getPort(),
                "progdist.gateway.bus.listen", "tcp://127.0.0.1:" + busPort,
                "progdist.gateway.devices", "dev-r1,dev-r2",
                "progdist.gateway.check-in-period", "200"), new Credentials("dora", "secret".toCharArray()),
                status -> { });
        gateway.start();
        try {
            // each device, more than once: the timer keeps going (the answers offer nothing)
            await().atMost(Duration.ofSeconds(20)).until(() -> checkIns.stream().filter("dev-r2"::equals).count() >= 2);
            assertThat(checkIns).contains("dev-r1");
            assertThat(gateway.getCamelContext().getRegistry().lookupByNameAndType("gatewayCheckIn",
                    GatewayCheckIn.class).devices()).containsExactly("dev-r1", "dev-r2");
        } finally {
            gateway.stop();
        }
    }

    @Test
    void neverTwoCheckInsOfOneDeviceAtOnce() throws Exception {
        offer("dev-a", "r-5", "hello", "1.0.0", "direct");
        CountDownLatch fetching = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        DeviceCheckIn checkIn = new DeviceCheckIn(keeper, client, (device, f) -> {
            fetching.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return installs(device, f);
        });
        CompletableFuture<DeviceCheckIn.Result> first = CompletableFuture.supplyAsync(() -> checkIn.checkIn("dev-a"));
        assertThat(fetching.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(checkIn.checkIn("dev-a").outcome()).isEqualTo(DeviceCheckIn.Outcome.IN_PROGRESS);
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(first::isDone);
        assertThat(first.get().outcome()).isEqualTo(DeviceCheckIn.Outcome.INSTALLED);
        assertThat(first.get().fetchTime()).isPositive();
        assertThat(fetches).hasSize(1);
    }
}
