package dev.progdist.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.keys.KeyStores;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A raw HTTPS client for API tests: trusts only the given CA, sends exactly what the test says. */
public final class TestHttps {

    private final HttpClient client;
    private final URI base;

    public TestHttps(URI base, X509Certificate trustedCa) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(KeyStores.trustStoreOf(trustedCa));
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        this.client = HttpClient.newBuilder().sslContext(tls).build();
        this.base = base;
    }

    public HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** As {@link #send}, for a binary answer (the second path's TLS records). */
    public HttpResponse<byte[]> sendForBytes(HttpRequest.Builder request) throws IOException, InterruptedException {
        return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path));
    }

    public HttpResponse<String> postJson(String path, String json) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResponse<String> login(String user, String password) throws IOException, InterruptedException {
        return postJson("/api/v1/sessions",
                "{\"userId\":\"" + user + "\",\"password\":\"" + password + "\"}");
    }

    public static JsonNode json(HttpResponse<String> response) throws IOException {
        return Json.mapper().readTree(response.body());
    }
}
