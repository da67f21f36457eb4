package dev.progdist.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.keys.Pem;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;

/**
 * camel/api/device-registry.camel.yaml through the real HTTPS API: registration with the TRP
 * certificate (validated as on the second path, naming the device), and tags.
 */
class DeviceRegistryRouteTest extends RouteTestCase {

    private static final List<String> ROUTES = List.of("error-handling", "rest-api", "user-authentication",
            "device-registry", "audit", "not-found");

    String operatorToken;
    String userToken;

    @Override
    List<String> routes() {
        return ROUTES;
    }

    @Override
    protected void doPostSetup() throws Exception {
        super.doPostSetup();
        // the development PKI issued its CRL now: the server's clock must be past it to validate certificates
        clock.advance(java.time.Duration.between(clock.instant(), Instant.now()));
        UserDirectory users = new UserDirectory(database(), new PasswordHasher(1024, 1, 1), clock);
        users.addUser("alice", SECRET.toCharArray(), Role.USER, false);
        users.addUser("olga", SECRET.toCharArray(), Role.OPERATOR, false);
        operatorToken = TestHttps.json(https.login("olga", SECRET)).path("token").asText();
        userToken = TestHttps.json(https.login("alice", SECRET)).path("token").asText();
    }

    // ---- certificates -----------------------------------------------------------------------------

    @Test
    void aRegistrationWithItsValidCertificateStoresIt() throws Exception {
        X509Certificate cert = certify("reg-cert-1");
        HttpResponse<String> r = register("reg-cert-1", Pem.toPem(cert));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode d = TestHttps.json(r);
        assertThat(d.path("deviceId").asText()).isEqualTo("reg-cert-1");
        assertThat(Instant.parse(d.path("certificateNotAfter").asText()))
                .isEqualTo(cert.getNotAfter().toInstant().truncatedTo(ChronoUnit.SECONDS));
        assertThat(d.path("tags").isArray()).isTrue();
        assertThat(registry().certificatePem("reg-cert-1")).hasValue(Pem.toPem(cert));

        // registering again without a certificate keeps the stored one
        registered("reg-cert-1");
        assertThat(registry().certificatePem("reg-cert-1")).hasValue(Pem.toPem(cert));
    }

    @Test
    void aCertificateOfAnotherDeviceOrOneThatDoesNotValidateIsRefusedAndNothingIsRegistered() throws Exception {
        X509Certificate other = certify("reg-other");
        UserAuthenticationRouteTest.assertProblem(register("reg-cert-2", Pem.toPem(other)), 400, "certificate-refused");
        assertThat(TestHttps.json(register("reg-cert-2", Pem.toPem(other))).path("detail").asText())
                .contains("reg-other");

        UserAuthenticationRouteTest.assertProblem(register("reg-cert-2", "not a certificate"), 400,
                "certificate-refused");

        // the server's own HTTPS certificate is not a device certificate of the manufacturer CA
        X509Certificate notManufacturer = DevelopmentPki.open(home).publisherCertificate();
        HttpResponse<String> foreign = register("reg-cert-2", Pem.toPem(notManufacturer));
        UserAuthenticationRouteTest.assertProblem(foreign, 400, "certificate-refused");

        X509Certificate revoked = certify("reg-revoked");
        DevelopmentPki.open(home).revokeDevice("reg-revoked", "keyCompromise");
        HttpResponse<String> r = register("reg-revoked", Pem.toPem(revoked));
        UserAuthenticationRouteTest.assertProblem(r, 400, "certificate-refused");
        assertThat(TestHttps.json(r).path("detail").asText()).startsWith("cert-revoked");

        assertThat(registry().find("reg-cert-2")).isEmpty();
        assertThat(registry().find("reg-revoked")).isEmpty();
    }

    // ---- tags ------------------------------------------------------------------------------------

    @Test
    void operatorsAddListAndRemoveTags() throws Exception {
        registered("tagged-1");

        HttpResponse<String> added = tag("PUT", "tagged-1", "beta", operatorToken);
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        assertThat(tags(TestHttps.json(added))).containsExactly("beta");
        assertThat(tag("PUT", "tagged-1", "eu-west.1", operatorToken).statusCode()).isEqualTo(200);
        assertThat(tag("PUT", "tagged-1", "beta", operatorToken).statusCode()).as("again: no change").isEqualTo(200);

        JsonNode listed = TestHttps.json(get("/api/v1/devices/tagged-1/tags", operatorToken));
        assertThat(listed.path("deviceId").asText()).isEqualTo("tagged-1");
        assertThat(tags(listed)).containsExactly("beta", "eu-west.1");
        JsonNode all = TestHttps.json(get("/api/v1/devices", operatorToken));
        assertThat(tags(all.path("devices").get(0))).containsExactly("beta", "eu-west.1");

        HttpResponse<String> removed = tag("DELETE", "tagged-1", "beta", operatorToken);
        assertThat(removed.statusCode()).as(removed.body()).isEqualTo(200);
        assertThat(tags(TestHttps.json(removed))).containsExactly("eu-west.1");
        assertThat(registry().tags("tagged-1")).containsExactly("eu-west.1");
    }

    @Test
    void badTagsUnknownDevicesAndUsersAreRefused() throws Exception {
        registered("tagged-2");
        for (String bad : List.of("Beta", "-beta", "a".repeat(33), "be%20ta", "b%C3%A9ta")) {
            UserAuthenticationRouteTest.assertProblem(tag("PUT", "tagged-2", bad, operatorToken), 400, "invalid-field");
        }
        UserAuthenticationRouteTest.assertProblem(tag("PUT", "no-such-device", "beta", operatorToken), 404,
                "not-found");
        UserAuthenticationRouteTest.assertProblem(tag("DELETE", "no-such-device", "beta", operatorToken), 404,
                "not-found");
        UserAuthenticationRouteTest.assertProblem(get("/api/v1/devices/no-such-device/tags", operatorToken), 404,
                "not-found");
        UserAuthenticationRouteTest.assertProblem(tag("PUT", "tagged-2", "beta", userToken), 403, "forbidden");
        for (int i = 0; i < DeviceRegistry.MAX_TAGS; i++) {
            assertThat(tag("PUT", "tagged-2", "t" + i, operatorToken).statusCode()).isEqualTo(200);
        }
        UserAuthenticationRouteTest.assertProblem(tag("PUT", "tagged-2", "one-more", operatorToken), 400,
                "invalid-field");
        assertThat(registry().tags("tagged-2")).hasSize(DeviceRegistry.MAX_TAGS);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    DeviceRegistry registry() {
        return context.getRegistry().lookupByNameAndType("deviceRegistry", DeviceRegistry.class);
    }

    static List<String> tags(JsonNode device) {
        List<String> out = new java.util.ArrayList<>();
        device.path("tags").forEach(t -> out.add(t.asText()));
        return out;
    }

    void registered(String deviceId) throws Exception {
        HttpResponse<String> r = register(deviceId, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    HttpResponse<String> register(String deviceId, String certificatePem) throws Exception {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("deviceId", deviceId);
        body.put("owner", "alice");
        if (certificatePem != null) {
            body.put("certificate", certificatePem);
        }
        return https.send(https.request("/api/v1/devices").header("Authorization", "Bearer " + operatorToken)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.mapper().writeValueAsString(body))));
    }

    HttpResponse<String> tag(String method, String deviceId, String tag, String token) throws Exception {
        return https.send(https.request("/api/v1/devices/" + deviceId + "/tags/" + tag)
                .header("Authorization", "Bearer " + token).method(method, HttpRequest.BodyPublishers.noBody()));
    }

    HttpResponse<String> get(String path, String token) throws Exception {
        return https.send(https.request(path).header("Authorization", "Bearer " + token).GET());
    }

    static X509Certificate certify(String deviceId) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = g.generateKeyPair();
        PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=ignored"),
                keys.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
        return DevelopmentPki.open(home).certifyDevice(deviceId, csr);
    }
}
