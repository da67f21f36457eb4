package dev.progdist.server;

import static dev.progdist.server.UserAuthenticationRouteTest.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.program.BlobStore;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.program.ProgramStatement;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * The program-catalog stage through its real YAML routes, real Jetty HTTPS, H2 and the broker:
 * publishing signed programs (signed with the development PKI's real publisher key), the catalog,
 * grants and the delivery ledger.
 */
class ProgramCatalogRouteTest extends RouteTestCase {

    private static final List<String> ROUTES = List.of("error-handling", "rest-api", "user-authentication",
            "program-catalog", "audit", "not-found");
    private static final long MAX_SIZE = 1L << 31;

    String operatorToken;
    String userToken;

    @Override
    List<String> routes() {
        return ROUTES;
    }

    @Override
    Map<String, String> settings() {
        return Map.of("progdist.program.max-size", String.valueOf(MAX_SIZE));
    }

    @Override
    protected void doPostSetup() throws Exception {
        super.doPostSetup();
        UserDirectory users = new UserDirectory(database(), new PasswordHasher(1024, 1, 1), clock);
        users.addUser("alice", SECRET.toCharArray(), Role.USER, false);
        users.addUser("olga", SECRET.toCharArray(), Role.OPERATOR, false);
        operatorToken = TestHttps.json(https.login("olga", SECRET)).path("token").asText();
        userToken = TestHttps.json(https.login("alice", SECRET)).path("token").asText();
    }

    // ---- publishing ------------------------------------------------------------------------------

    @Test
    void aSignedProgramIsStoredByItsDigestAndListed() throws Exception {
        byte[] program = randomBytes(200_000);
        String sha = Fingerprints.sha256(program);
        String signature = signAsPublisher(new ProgramStatement("editor", "1.10", sha, program.length));

        HttpResponse<String> r = https.send(publish("editor", "1.10", program, sha, signature, operatorToken)
                .header("Progdist-Default-Mode", "wrapped"));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode v = TestHttps.json(r);
        assertThat(v.path("programId").asText()).isEqualTo("editor");
        assertThat(v.path("version").asText()).isEqualTo("1.10");
        assertThat(v.path("sha256").asText()).isEqualTo(sha);
        assertThat(v.path("size").asLong()).isEqualTo(program.length);
        assertThat(v.path("defaultMode").asText()).isEqualTo("wrapped");
        assertThat(v.path("publishedBy").asText()).isEqualTo("olga");
        assertThat(v.path("publisherFingerprint").asText())
                .isEqualTo(Fingerprints.sha256(DevelopmentPki.open(home).publisherCertificate()));
        assertThat(r.headers().firstValue("Location")).hasValue("/api/v1/programs/editor");
        Path blob = home.blobsDir().resolve("sha256").resolve(sha.substring(0, 2)).resolve(sha);
        assertThat(blob).exists();
        assertThat(Files.readAllBytes(blob)).isEqualTo(program);
        assertNoTemporaryFiles();

        byte[] older = randomBytes(10);
        String olderSha = Fingerprints.sha256(older);
        assertThat(https.send(publish("editor", "1.9", older, olderSha,
                signAsPublisher(new ProgramStatement("editor", "1.9", olderSha, older.length)), operatorToken))
                .statusCode()).isEqualTo(201);

        JsonNode list = TestHttps.json(get("/api/v1/programs", operatorToken));
        assertThat(list.path("programs")).hasSize(1);
        assertThat(list.path("programs").get(0).path("versions").asInt()).isEqualTo(2);
        // the latest by version order, not by publication time
        assertThat(list.path("programs").get(0).path("latest").path("version").asText()).isEqualTo("1.10");

        JsonNode versions = TestHttps.json(get("/api/v1/programs/editor", operatorToken));
        assertThat(versions.path("versions").findValuesAsText("version")).containsExactly("1.9", "1.10");
        assertThat(versions.path("latest").asText()).isEqualTo("1.10");
        assertProblem(get("/api/v1/programs/nothing", operatorToken), 404, "not-found");
    }

    @Test
    void anEmptyProgramCanBePublished() throws Exception {
        byte[] empty = new byte[0];
        String sha = Fingerprints.sha256(empty);
        HttpResponse<String> r = https.send(publish("empty", "1", empty, sha,
                signAsPublisher(new ProgramStatement("empty", "1", sha, 0)), operatorToken));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(TestHttps.json(r).path("defaultMode").isMissingNode()).isTrue();
    }

    @Test
    void aWrongOrMalformedSignatureIsRefusedAndNothingIsStored() throws Exception {
        byte[] program = randomBytes(5000);
        String sha = Fingerprints.sha256(program);
        byte[] good = Base64.getDecoder().decode(signAsPublisher(
                new ProgramStatement("tool", "1.0", sha, program.length)));
        byte[] flipped = good.clone();
        flipped[flipped.length - 1] ^= 1;

        for (String signature : List.of(Base64.getEncoder().encodeToString(flipped),
                Base64.getEncoder().encodeToString(randomBytes(70)),
                Base64.getEncoder().encodeToString(new byte[] {0x30, 0x00}),
                "bm90IGEgc2lnbmF0dXJl", "***not base64***")) {
            assertProblem(https.send(publish("tool", "1.0", program, sha, signature, operatorToken)), 400,
                    "publisher-signature-invalid");
        }
        assertNotStored(sha);
        assertProblem(get("/api/v1/programs/tool", operatorToken), 404, "not-found");
    }

    @Test
    void aSignatureByAnotherKeyIsRefused() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair other = g.generateKeyPair();
        byte[] program = randomBytes(5000);
        String sha = Fingerprints.sha256(program);

        String signature = sign(other.getPrivate(), new ProgramStatement("tool", "1.0", sha, program.length));
        assertProblem(https.send(publish("tool", "1.0", program, sha, signature, operatorToken)), 400,
                "publisher-signature-invalid");
        // a caller cannot steer the verify step with camel-crypto's own headers
        assertProblem(https.send(publish("tool", "1.0", program, sha, signature, operatorToken)
                .header("CamelSignaturePublicKeyOrCert", "x")
                .header("CamelDigitalSignature", signature)), 400, "publisher-signature-invalid");
        assertNotStored(sha);
    }

    @Test
    void aSignedStatementForAnotherProgramVersionOrSizeIsRefused() throws Exception {
        byte[] program = randomBytes(5000);
        String sha = Fingerprints.sha256(program);

        String forOtherVersion = signAsPublisher(new ProgramStatement("tool", "1.0", sha, program.length));
        assertProblem(https.send(publish("tool", "2.0", program, sha, forOtherVersion, operatorToken)), 400,
                "publisher-signature-invalid");
        assertProblem(https.send(publish("other-tool", "1.0", program, sha, forOtherVersion, operatorToken)), 400,
                "publisher-signature-invalid");
        String forOtherSize = signAsPublisher(new ProgramStatement("tool", "1.0", sha, program.length + 1));
        assertProblem(https.send(publish("tool", "1.0", program, sha, forOtherSize, operatorToken)), 400,
                "publisher-signature-invalid");
        assertNotStored(sha);
    }

    @Test
    void bytesThatAreNotTheSignedOnesAreRefusedAndNotKept() throws Exception {
        byte[] signed = randomBytes(70_000);
        String signedSha = Fingerprints.sha256(signed);
        String signature = signAsPublisher(new ProgramStatement("tool", "1.0", signedSha, signed.length));
        byte[] swapped = randomBytes(signed.length);

        HttpResponse<String> r = https.send(publish("tool", "1.0", swapped, signedSha, signature, operatorToken));

        assertProblem(r, 400, "program-digest-mismatch");
        assertNotStored(signedSha);
        assertNotStored(Fingerprints.sha256(swapped));
        assertNoTemporaryFiles();
        assertProblem(get("/api/v1/programs/tool", operatorToken), 404, "not-found");
        // the refusal is audited (through the broker)
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(auditEvents())
                .contains("program-publish-refused|program:tool@1.0|program-digest-mismatch"));

        // the right bytes still publish afterwards
        assertThat(https.send(publish("tool", "1.0", signed, signedSha, signature, operatorToken)).statusCode())
                .isEqualTo(201);
    }

    @Test
    void aPublishedVersionCannotBePublishedAgain() throws Exception {
        byte[] program = randomBytes(1000);
        String sha = Fingerprints.sha256(program);
        String signature = signAsPublisher(new ProgramStatement("tool", "1.1", sha, program.length));
        assertThat(https.send(publish("tool", "1.1", program, sha, signature, operatorToken)).statusCode())
                .isEqualTo(201);

        assertProblem(https.send(publish("tool", "1.1", program, sha, signature, operatorToken)), 409,
                "program-exists");
        // equal in version order: a TRP holding 1.1 would refuse 1.01, so the catalog does too
        String equal = signAsPublisher(new ProgramStatement("tool", "1.01", sha, program.length));
        HttpResponse<String> r = https.send(publish("tool", "1.01", program, sha, equal, operatorToken));
        assertProblem(r, 409, "program-exists");
        assertThat(TestHttps.json(r).path("detail").asText()).contains("1.1");
        // the same bytes under another version are stored once
        String v2 = signAsPublisher(new ProgramStatement("tool", "2", sha, program.length));
        assertThat(https.send(publish("tool", "2", program, sha, v2, operatorToken)).statusCode()).isEqualTo(201);
        assertThat(blob(sha)).exists();
    }

    @Test
    void missingOrMalformedHeadersAreRefused() throws Exception {
        byte[] program = randomBytes(100);
        String sha = Fingerprints.sha256(program);
        String signature = signAsPublisher(new ProgramStatement("tool", "1.0", sha, program.length));

        HttpResponse<String> noDigest = https.send(https.request("/api/v1/programs/tool/versions/1.0")
                .header("Authorization", "Bearer " + operatorToken)
                .header("Content-Type", "application/octet-stream")
                .header("Progdist-Publisher-Signature", signature)
                .POST(HttpRequest.BodyPublishers.ofByteArray(program)));
        assertProblem(noDigest, 400, "missing-field");
        assertThat(TestHttps.json(noDigest).path("detail").asText()).contains("Progdist-Program-Sha256");
        HttpResponse<String> noSignature = https.send(https.request("/api/v1/programs/tool/versions/1.0")
                .header("Authorization", "Bearer " + operatorToken)
                .header("Content-Type", "application/octet-stream")
                .header("Progdist-Program-Sha256", sha)
                .POST(HttpRequest.BodyPublishers.ofByteArray(program)));
        assertProblem(noSignature, 400, "missing-field");
        assertProblem(https.send(publish("tool", "1.0", program, "abc", signature, operatorToken)), 400,
                "invalid-field");
        assertProblem(https.send(publish("tool", "1.0", program, sha, signature, operatorToken)
                .header("Progdist-Default-Mode", "plain")), 400, "invalid-field");
        assertProblem(https.send(publish("tool", "1.0", program, sha, signature, operatorToken)
                .setHeader("Content-Type", "text/plain")), 415, "unsupported-media-type");
        assertProblem(https.send(publish("-bad", "1.0", program, sha, signature, operatorToken)), 400,
                "invalid-field");

        // chunked: no Content-Length
        HttpResponse<String> chunked = https.send(https.request("/api/v1/programs/tool/versions/1.0")
                .header("Authorization", "Bearer " + operatorToken)
                .header("Content-Type", "application/octet-stream")
                .header("Progdist-Program-Sha256", sha)
                .header("Progdist-Publisher-Signature", signature)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(program))));
        assertProblem(chunked, 411, "length-required");

        // too large: refused from the Content-Length alone, before a byte of the body is read (raw
        // socket, as the body is never sent)
        for (long declared : List.of(MAX_SIZE + 1, 1L << 40)) {
            String answer = headersOnly("/api/v1/programs/tool/versions/1.0", Map.of(
                    "Authorization", "Bearer " + operatorToken,
                    "Content-Type", "application/octet-stream",
                    "Progdist-Program-Sha256", sha,
                    "Progdist-Publisher-Signature", signature,
                    "Content-Length", String.valueOf(declared),
                    "Expect", "100-continue"));
            // Jetty answers 100 Continue as soon as the request is taken up, before the route refuses
            assertThat(answer).contains("HTTP/1.1 413").contains("\"code\":\"body-too-large\"");
        }
        assertNotStored(sha);
    }

    @Test
    void onlyOperatorsMayPublishOrReadTheCatalog() throws Exception {
        byte[] program = randomBytes(100);
        String sha = Fingerprints.sha256(program);
        String signature = signAsPublisher(new ProgramStatement("tool", "1.0", sha, program.length));

        assertProblem(https.send(publish("tool", "1.0", program, sha, signature, userToken)), 403, "forbidden");
        assertProblem(https.send(https.request("/api/v1/programs/tool/versions/1.0")
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(program))), 401, "missing-token");
        for (String path : List.of("/api/v1/programs", "/api/v1/programs/tool", "/api/v1/programs/tool/grants",
                "/api/v1/deliveries")) {
            assertProblem(get(path, userToken), 403, "forbidden");
        }
        assertProblem(https.send(https.request("/api/v1/programs/tool/grants")
                .header("Authorization", "Bearer " + userToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"alice\"}"))), 403, "forbidden");
        assertProblem(https.send(https.request("/api/v1/programs/tool/grants/alice")
                .header("Authorization", "Bearer " + userToken).DELETE()), 403, "forbidden");
        assertNotStored(sha);
    }

    // ---- grants and deliveries -------------------------------------------------------------------

    @Test
    void operatorsGrantListAndRevokePrograms() throws Exception {
        assertProblem(grant("tool", "alice"), 404, "not-found"); // no such program yet
        publishSmall("tool", "1.0");

        HttpResponse<String> first = grant("tool", "alice");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        assertThat(TestHttps.json(first).path("grantedBy").asText()).isEqualTo("olga");
        assertThat(grant("tool", "alice").statusCode()).isEqualTo(200); // idempotent
        assertProblem(grant("tool", "nobody"), 404, "not-found");
        assertProblem(https.send(https.request("/api/v1/programs/tool/grants")
                .header("Authorization", "Bearer " + operatorToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))), 400, "missing-field");

        JsonNode grants = TestHttps.json(get("/api/v1/programs/tool/grants", operatorToken));
        assertThat(grants.path("grants").findValuesAsText("userId")).containsExactly("alice");

        HttpResponse<String> revoked = https.send(https.request("/api/v1/programs/tool/grants/alice")
                .header("Authorization", "Bearer " + operatorToken).DELETE());
        assertThat(revoked.statusCode()).isEqualTo(204);
        assertThat(TestHttps.json(get("/api/v1/programs/tool/grants", operatorToken)).path("grants")).isEmpty();
        assertProblem(https.send(https.request("/api/v1/programs/tool/grants/alice")
                .header("Authorization", "Bearer " + operatorToken).DELETE()), 404, "not-found");
    }

    @Test
    void operatorsReadTheDeliveryLedgerWithFilters() throws Exception {
        DeliveryLedger ledger = context.getRegistry().lookupByNameAndType("deliveryLedger", DeliveryLedger.class);
        String a = ledger.open("s1", "alice", "dev-1", "tool", null, "direct");
        ledger.open("s1", "alice", "dev-2", "tool", "1.0", null);
        ledger.open("s2", "alice", "dev-1", "editor", null, null);
        ledger.failed(a, "device-refused", "no room");

        JsonNode all = TestHttps.json(get("/api/v1/deliveries", operatorToken));
        assertThat(all.path("deliveries")).hasSize(3);
        JsonNode dev1 = TestHttps.json(get("/api/v1/deliveries?deviceId=dev-1&programId=tool", operatorToken));
        assertThat(dev1.path("deliveries")).hasSize(1);
        assertThat(dev1.path("deliveries").get(0).path("deliveryId").asText()).isEqualTo(a);
        assertThat(dev1.path("deliveries").get(0).path("outcome").asText()).isEqualTo("failed");
        assertThat(dev1.path("deliveries").get(0).path("reasonCode").asText()).isEqualTo("device-refused");
        assertThat(TestHttps.json(get("/api/v1/deliveries?userId=alice&limit=2", operatorToken))
                .path("deliveries")).hasSize(2);
        assertThat(TestHttps.json(get("/api/v1/deliveries?userId=bob", operatorToken)).path("deliveries")).isEmpty();
        assertProblem(get("/api/v1/deliveries?limit=0", operatorToken), 400, "invalid-field");
        assertProblem(get("/api/v1/deliveries?limit=1001", operatorToken), 400, "invalid-field");
        assertProblem(get("/api/v1/deliveries?limit=x", operatorToken), 400, "invalid-field");
    }

    @Test
    void publishingIsAudited() throws Exception {
        publishSmall("tool", "1.0");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(auditEvents())
                .anyMatch(e -> e.startsWith("program-published|program:tool@1.0|sha256 ")));
    }

    /** Run with {@code -Pslow -DargLine=-Xmx256m}: the upload is streamed at both ends, never held in memory. */
    @Test
    @org.junit.jupiter.api.Tag("slow")
    void aOneGibProgramIsStreamedToTheBlobStore() throws Exception {
        long size = 1L << 30;
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (java.io.InputStream in = generated(size)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) >= 0; ) {
                digest.update(buf, 0, n);
            }
        }
        String sha = java.util.HexFormat.of().formatHex(digest.digest());
        HttpResponse<String> r = https.send(https.request("/api/v1/programs/big/versions/1")
                .header("Authorization", "Bearer " + operatorToken)
                .header("Content-Type", "application/octet-stream")
                .header("Progdist-Program-Sha256", sha)
                .header("Progdist-Publisher-Signature",
                        signAsPublisher(new ProgramStatement("big", "1", sha, size)))
                .timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> generated(size)), size)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(Files.size(blob(sha))).isEqualTo(size);
    }

    /** {@code size} deterministic bytes, made on the fly. */
    private static java.io.InputStream generated(long size) {
        return new java.io.InputStream() {
            long position;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (position >= size) {
                    return -1;
                }
                int n = (int) Math.min(len, size - position);
                for (int i = 0; i < n; i++) {
                    long p = position + i;
                    b[off + i] = (byte) (p * 31 + (p >>> 13));
                }
                position += n;
                return n;
            }
        };
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private HttpRequest.Builder publish(String id, String version, byte[] body, String sha, String signature,
            String token) {
        return https.request("/api/v1/programs/" + id + "/versions/" + version)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/octet-stream")
                .header("Progdist-Program-Sha256", sha)
                .header("Progdist-Publisher-Signature", signature)
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    private void publishSmall(String id, String version) throws Exception {
        byte[] program = randomBytes(64);
        String sha = Fingerprints.sha256(program);
        HttpResponse<String> r = https.send(publish(id, version, program, sha,
                signAsPublisher(new ProgramStatement(id, version, sha, program.length)), operatorToken));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    /** Sends only the request line and headers, then reads the answer until the server closes. */
    private static String headersOnly(String path, Map<String, String> headers) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(KeyStores.trustStoreOf(DevelopmentPki.open(home).distributionCaCertificate()));
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("localhost", port)) {
            socket.setSoTimeout(20_000);
            StringBuilder request = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: localhost:" + port
                    + "\r\nConnection: close\r\n");
            headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
            socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = socket.getInputStream().read(buf)) > 0; ) {
                    answer.write(buf, 0, n);
                    if (answer.toString(StandardCharsets.UTF_8).contains("\"code\"")) {
                        break;
                    }
                }
            } catch (SocketTimeoutException e) {
                // whatever arrived is the answer
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
    }

    private HttpResponse<String> grant(String programId, String userId) throws Exception {
        return https.send(https.request("/api/v1/programs/" + programId + "/grants")
                .header("Authorization", "Bearer " + operatorToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"" + userId + "\"}")));
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        return https.send(https.request(path).header("Authorization", "Bearer " + token).GET());
    }

    static String signAsPublisher(ProgramStatement statement) {
        return DevelopmentPki.signAsPublisher(home, statement);
    }

    static String sign(PrivateKey key, ProgramStatement statement) throws Exception {
        return Base64.getEncoder().encodeToString(
                dev.progdist.protocol.keys.Signatures.sign(key, statement.signedBytes()));
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static Path blob(String sha) {
        return home.blobsDir().resolve("sha256").resolve(sha.substring(0, 2)).resolve(sha);
    }

    private void assertNotStored(String sha) {
        assertThat(blob(sha)).doesNotExist();
        assertThat(context.getRegistry().lookupByNameAndType("blobStore", BlobStore.class).contains(sha)).isFalse();
    }

    private static void assertNoTemporaryFiles() throws Exception {
        Path root = home.blobsDir().resolve("sha256");
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
            }
        }
    }

    private List<String> auditEvents() throws Exception {
        List<String> events = new ArrayList<>();
        try (Connection c = database().connection();
                ResultSet rs = c.createStatement().executeQuery(
                        "SELECT event, subject, detail FROM audit_events ORDER BY id")) {
            while (rs.next()) {
                events.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
            }
        }
        return events;
    }
}
