package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.fleet.FleetProvisioning;
import dev.progdist.fleet.FleetRunner;
import dev.progdist.gateway.DeviceCheckIn;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.SecretSource;
import dev.progdist.trp.InstalledPrograms;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet's whole device side on the real server: devices log in, check in on their own schedule
 * and, on an offer, fetch it through the fleet's shared bus; the real server delivers and verifies
 * the receipt. The server's check-in endpoint belongs to the rollout engine, so here a small HTTPS
 * front (the server's own certificate) answers {@code POST …/check-in} as the design says (an
 * offer for one device, once) and passes every other request to the real server unchanged.
 */
class FleetCheckInIntegrationTest {

    static final char[] SECRET = "fleet-check-in-secret".toCharArray();

    @TempDir
    static Path dir;
    static Fleet system;
    static HttpsServer front;
    static FleetRunner fleet;
    static byte[] program;
    static final Set<String> offered = ConcurrentHashMap.newKeySet();
    static final List<String> checkIns = new CopyOnWriteArrayList<>();
    static final List<DeviceCheckIn.Result> results = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        system = Fleet.start(dir, "cki", SECRET, Map.of(), Map.of("progdist.auth.max-sessions-per-user", "20"));
        FleetProvisioning.provision(system.home, "C", 3, FleetProvisioning.KeyChoice.EC, "cki",
                (device, owner, cert) -> system.register(device, owner), n -> { });
        program = new byte[70_001];
        new java.util.Random(11).nextBytes(program);
        system.publish("cki-app", "2.0.0", program);
        system.grant("cki-app", "cki");
        front = front(system.port);
        fleet = FleetRunner.start(FleetRunner.Options.of(dir, "C", 3, "cki", SECRET)
                .withServers(List.of(URI.create("https://localhost:" + front.getAddress().getPort())))
                .withCheckInPeriod(Duration.ofMillis(300))
                .withFaults(dev.progdist.fleet.FaultPlan.parse("vanish=1"), Duration.ofSeconds(2))
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(10)));
        fleet.onResult(results::add);
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(fleet, front == null ? null : () -> front.stop(0), system);
    }

    @Test
    void anOfferedDeviceFetchesAndInstallsAtItsCheckInAndTheOthersStayIdle() throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> fleet.status().installed() == 1);

        Path installed = new InstalledPrograms(system.home, "C-0002").programFile("cki-app").orElseThrow();
        assertThat(Files.readAllBytes(installed)).isEqualTo(program);
        assertThat(system.deliveries("C-0002")).extracting(d -> d.outcome()).containsExactly("installed");
        assertThat(results).filteredOn(r -> r.outcome() == DeviceCheckIn.Outcome.INSTALLED)
                .singleElement().satisfies(r -> {
                    assertThat(r.deviceId()).isEqualTo("C-0002");
                    assertThat(r.offer().rolloutId()).isEqualTo("r-test");
                    assertThat(r.fetchTime()).isPositive();
                });
        // C-0003 checks in too, and fetches nothing
        await().atMost(Duration.ofSeconds(30)).until(() -> checkIns.contains("C-0003"));
        assertThat(system.deliveries("C-0003")).isEmpty();
        assertThat(fleet.status().loggedIn()).isEqualTo(3);
    }

    @Test
    void aVanishingDeviceGoesSilentMidDeliveryAndChecksInNoMore() {
        assertThat(fleet.faults()).containsOnlyKeys("C-0001");
        await().atMost(Duration.ofSeconds(60)).until(() -> fleet.status().silent() == 1);
        assertThat(results).filteredOn(r -> r.deviceId().equals("C-0001"))
                .extracting(DeviceCheckIn.Result::outcome).contains(DeviceCheckIn.Outcome.TRP_SILENT)
                .doesNotContain(DeviceCheckIn.Outcome.INSTALLED);
        long seen = checkIns.stream().filter("C-0001"::equals).count();
        // several check-in periods later: still no check-in of C-0001, while the others go on
        long others = checkIns.size() - seen;
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> checkIns.stream().filter("C-0001"::equals).count() == seen);
        assertThat(checkIns.size() - seen).isGreaterThan(others);
        // the server's side of that delivery ends when its channel times out, never installed
        await().atMost(Duration.ofSeconds(30)).until(() -> !system.deliveries("C-0001").isEmpty()
                && !system.deliveries("C-0001").get(0).outcome().equals("sending"));
        assertThat(system.deliveries("C-0001").get(0).outcome()).isEqualTo("failed");
    }

    /** Answers check-ins (offering cki-app 2.0.0 to C-0002 once) and relays everything else to the server. */
    static HttpsServer front(int serverPort) throws Exception {
        char[] password = new SecretSource(system.home).get(DevelopmentPki.SERVER_HTTPS_PASSWORD);
        KeyStore store = KeyStores.load(system.home.serverHttpsStore(), password);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, password);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(KeyStores.trustStoreOf(system.pki.distributionCaCertificate()));
        SSLContext trust = SSLContext.getInstance("TLS");
        trust.init(null, tmf.getTrustManagers(), null);
        HttpClient upstream = HttpClient.newBuilder().sslContext(trust).version(HttpClient.Version.HTTP_1_1).build();
        HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.setHttpsConfigurator(new HttpsConfigurator(tls));
        s.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
        s.createContext("/", x -> {
            try {
                if (x.getRequestURI().getPath().endsWith("/check-in")) {
                    checkIn(x);
                } else {
                    relay(x, upstream, serverPort);
                }
            } catch (Exception e) {
                x.sendResponseHeaders(502, -1);
            } finally {
                x.close();
            }
        });
        s.start();
        return s;
    }

    private static void checkIn(HttpExchange x) throws IOException {
        String device = dev.progdist.protocol.json.Json.mapper().readTree(x.getRequestBody().readNBytes(1024))
                .path("deviceId").asText();
        checkIns.add(device);
        String offer = (device.equals("C-0002") || device.equals("C-0001")) && offered.add(device)
                ? "{\"rolloutId\":\"r-test\",\"programId\":\"cki-app\",\"version\":\"2.0.0\",\"mode\":\"wrapped\"}"
                : "null";
        byte[] body = ("{\"deviceId\":\"" + device + "\",\"offer\":" + offer + ",\"checkInAfter\":\"PT0.3S\"}")
                .getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(200, body.length);
        x.getResponseBody().write(body);
    }

    private static void relay(HttpExchange x, HttpClient upstream, int port) throws Exception {
        byte[] in = x.getRequestBody().readAllBytes();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://localhost:" + port + x.getRequestURI()))
                .method(x.getRequestMethod(), in.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(in));
        for (String h : List.of("Authorization", "Content-Type", "Accept")) {
            String v = x.getRequestHeaders().getFirst(h);
            if (v != null) {
                b.header(h, v);
            }
        }
        HttpResponse<byte[]> r = upstream.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        r.headers().map().forEach((k, v) -> {
            if (k.equalsIgnoreCase("content-type") || k.toLowerCase(java.util.Locale.ROOT).startsWith("progdist-")
                    || k.equalsIgnoreCase("retry-after")) {
                x.getResponseHeaders().put(k, v);
            }
        });
        byte[] body = r.body();
        x.sendResponseHeaders(r.statusCode(), body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            x.getResponseBody().write(body);
        }
    }
}
