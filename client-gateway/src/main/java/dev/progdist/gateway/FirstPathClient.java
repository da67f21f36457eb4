package dev.progdist.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.Pem;
import dev.progdist.protocol.wire.ProblemType;
import dev.progdist.protocol.wire.SessionRequest;
import dev.progdist.protocol.wire.SessionResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The gateway's HTTPS client for the first path. Trusts only the distribution CA (never the
 * platform's CA list, never "trust all"), checks the host name, speaks TLS 1.3 or 1.2.
 * Never logs the secret or the token.
 */
public class FirstPathClient {

    private static final int MAX_RESPONSE_BYTES = 1024 * 1024;
    /**
     * A second-path answer carries at most one delivery window (the server's
     * {@code progdist.delivery.window}, 1 MiB by default, at most 4 MiB) plus TLS record overhead.
     */
    public static final int MAX_CHANNEL_REPLY_BYTES = 4 * 1024 * 1024 + 64 * 1024;

    private final URI server;
    private final HttpClient http;
    private final Duration timeout;

    public FirstPathClient(URI server, Path distributionCaPem, Duration timeout) {
        this.server = server;
        this.timeout = timeout;
        if (!"https".equalsIgnoreCase(server.getScheme())) {
            throw new IllegalArgumentException("the server URL must be https://, not " + server);
        }
        try {
            List<X509Certificate> anchors = Pem.readCertificates(distributionCaPem);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(KeyStores.trustStoreOf(anchors.toArray(X509Certificate[]::new)));
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            SSLParameters params = tls.getDefaultSSLParameters();
            params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            this.http = HttpClient.newBuilder()
                    .sslContext(tls)
                    .sslParameters(params)
                    .connectTimeout(timeout)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS for the first path: " + e.getMessage(), e);
        }
    }

    public URI server() {
        return server;
    }

    /**
     * {@code POST /api/v1/sessions}: logs in and returns the new session (with its token). A server
     * that is busy with other logins ({@code 503 server-busy}) is asked again after its
     * {@code Retry-After} (with jitter, so a fleet that logs in at once spreads out), for at most
     * the client's timeout in all; every other refusal is final at once.
     */
    public SessionResponse login(String userId, char[] secret) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return loginOnce(userId, secret);
            } catch (FirstPathException e) {
                if (e.problem() != ProblemType.SERVER_BUSY) {
                    throw e;
                }
                long waitMillis = busyWaitMillis(e.retryAfter());
                if (System.nanoTime() + waitMillis * 1_000_000 > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(waitMillis); // back-off the server asked for, not a test wait
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** The server's Retry-After (1 s if absent, at most 10 s) plus up to half of it again at random. */
    static long busyWaitMillis(Duration retryAfter) {
        long base = retryAfter == null ? 1000 : Math.min(Math.max(retryAfter.toMillis(), 100), 10_000);
        return base + java.util.concurrent.ThreadLocalRandom.current().nextLong(base / 2 + 1);
    }

    private SessionResponse loginOnce(String userId, char[] secret) {
        byte[] body;
        try {
            body = Json.mapper().writeValueAsBytes(new SessionRequest(userId, new String(secret)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HttpRequest request = HttpRequest.newBuilder(server.resolve("/api/v1/sessions"))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return parse(send(request, 201), SessionResponse.class);
    }

    /** Extends the session; returns it with the new expiry (and no token). */
    public SessionResponse refresh(SessionResponse session) {
        HttpRequest request = authorized(session, "/api/v1/sessions/" + session.sessionId() + "/refresh")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build();
        return parse(send(request, 200), SessionResponse.class);
    }

    /** Closes the session on the server. */
    public void logout(SessionResponse session) {
        HttpRequest request = authorized(session, "/api/v1/sessions/" + session.sessionId()).DELETE().build();
        send(request, 204);
    }

    /** The server's answer to one relay step of the second path. */
    public record ChannelReply(byte[] records, String state, String code) {
        public boolean terminal() {
            return "closed".equals(state) || "failed".equals(state);
        }
    }

    /** {@code POST /api/v1/sessions/{sid}/channel}: relays the TRP's records, returns the server's. */
    public ChannelReply postChannel(SessionResponse session, byte[] records) {
        HttpRequest request = authorized(session, "/api/v1/sessions/" + session.sessionId() + "/channel")
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(records))
                .build();
        Reply response = exchange(request, MAX_CHANNEL_REPLY_BYTES);
        byte[] body = check(response, 200, MAX_CHANNEL_REPLY_BYTES);
        return new ChannelReply(body, response.headers().firstValue("Progdist-Channel-State").orElse("unknown"),
                response.headers().firstValue("Progdist-Channel-Code").orElse(null));
    }

    /** The largest check-in answer read: a device ID, one offer and a duration are far smaller. */
    static final int MAX_CHECK_IN_BYTES = 16 * 1024;
    /** The longest wait between check-ins the gateway accepts from the server; a longer one is cut to this. */
    public static final Duration MAX_CHECK_IN_AFTER = Duration.ofHours(1);

    /** A rollout's offer to one device: the program version its TRP should fetch, in that mode. */
    public record Offer(String rolloutId, String programId, String version, String mode) {
    }

    /**
     * The server's answer to a check-in: an offer or none ({@code null}), and when to ask again
     * ({@code null} when the server did not say; at most {@link #MAX_CHECK_IN_AFTER}).
     */
    public record CheckIn(String deviceId, Offer offer, Duration checkInAfter) {
    }

    /**
     * {@code POST /api/v1/sessions/{sid}/check-in} for {@code deviceId}: asks whether a rollout
     * has something for that device. The answer is read up to {@value #MAX_CHECK_IN_BYTES} bytes
     * and checked: it must name the same device, and an offer must carry a valid program ID,
     * version and mode (the TRP checks what it then receives anyway; the gateway is not trusted).
     *
     * @throws FirstPathException on a refusal (e.g. {@code 403 device-not-owned}, {@code 409
     *                            device-disabled}), an unreachable server, or a malformed answer
     */
    public CheckIn checkIn(SessionResponse session, String deviceId) {
        dev.progdist.protocol.DeviceId.require(deviceId);
        byte[] json;
        try {
            json = Json.mapper().writeValueAsBytes(java.util.Map.of("deviceId", deviceId));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HttpRequest request = authorized(session, "/api/v1/sessions/" + session.sessionId() + "/check-in")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json))
                .build();
        JsonNode answer = parse(check(exchange(request, MAX_CHECK_IN_BYTES), 200, MAX_CHECK_IN_BYTES),
                JsonNode.class);
        return checkInAnswer(deviceId, answer);
    }

    /** Reads and checks a check-in answer for {@code deviceId}. */
    static CheckIn checkInAnswer(String deviceId, JsonNode answer) {
        if (!answer.isObject() || !deviceId.equals(answer.path("deviceId").asText(null))) {
            throw malformedCheckIn("it does not name device " + deviceId);
        }
        Offer offer = null;
        JsonNode o = answer.path("offer");
        if (!o.isMissingNode() && !o.isNull()) {
            String rollout = o.path("rolloutId").asText("");
            String program = o.path("programId").asText("");
            String version = o.path("version").asText("");
            String mode = o.path("mode").isTextual() && !o.path("mode").asText().isEmpty() ? o.path("mode").asText()
                    : null;
            if (rollout.isEmpty() || rollout.length() > 64 || !rollout.matches("[A-Za-z0-9._-]+")) {
                throw malformedCheckIn("the offer's rolloutId is missing or invalid");
            }
            if (!dev.progdist.protocol.program.ProgramVersions.isProgramId(program)
                    || !dev.progdist.protocol.program.ProgramVersions.isVersion(version)) {
                throw malformedCheckIn("the offer's programId or version is missing or invalid");
            }
            if (mode != null) {
                try {
                    mode = dev.progdist.protocol.program.EnvelopeMode.parse(mode).label();
                } catch (IllegalArgumentException e) {
                    throw malformedCheckIn("the offer's mode is not direct or wrapped");
                }
            }
            offer = new Offer(rollout, program, version, mode);
        }
        Duration after = null;
        JsonNode a = answer.path("checkInAfter");
        if (a.isTextual()) {
            try {
                after = Duration.parse(a.asText());
            } catch (java.time.format.DateTimeParseException e) {
                throw malformedCheckIn("checkInAfter is not an ISO-8601 duration");
            }
            if (after.isNegative()) {
                after = Duration.ZERO;
            }
            if (after.compareTo(MAX_CHECK_IN_AFTER) > 0) {
                after = MAX_CHECK_IN_AFTER;
            }
        }
        return new CheckIn(deviceId, offer, after);
    }

    private static FirstPathException malformedCheckIn(String why) {
        return new FirstPathException("the server's check-in answer is malformed: " + why, 200, null, null);
    }

    /** Any JSON GET with the session token, e.g. for later API calls. */
    public JsonNode getJson(SessionResponse session, String path) {
        return parse(send(authorized(session, path).GET().build(), 200), JsonNode.class);
    }

    /** Any JSON POST with the session token; the answer must be 200 or 201. */
    public JsonNode postJson(SessionResponse session, String path, Object body) {
        byte[] json;
        try {
            json = Json.mapper().writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Reply response = exchange(authorized(session, path)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json))
                .build(), MAX_RESPONSE_BYTES);
        return parse(check(response, response.statusCode() == 200 ? 200 : 201, MAX_RESPONSE_BYTES), JsonNode.class);
    }

    /** A PUT without a body (e.g. a device tag) with the session token; the JSON answer must be 200. */
    public JsonNode putJson(SessionResponse session, String path) {
        return parse(send(authorized(session, path).PUT(HttpRequest.BodyPublishers.noBody()).build(), 200),
                JsonNode.class);
    }

    /** A DELETE whose answer is JSON (e.g. a device tag removed) with the session token; it must be 200. */
    public JsonNode deleteJson(SessionResponse session, String path) {
        return parse(send(authorized(session, path).DELETE().build(), 200), JsonNode.class);
    }

    /** Any DELETE with the session token; the answer must be 204. */
    public void delete(SessionResponse session, String path) {
        send(authorized(session, path).DELETE().build(), 204);
    }

    /**
     * Uploads {@code file} as the {@code application/octet-stream} body of a POST, streamed from
     * disk (never read into memory) with its length as {@code Content-Length}. The request may take
     * {@code timeout} plus one second per MiB. A server that refuses before reading the body may
     * close the connection while the bytes are still being sent; that surfaces as a
     * {@link FirstPathException} with status 0.
     *
     * @return the JSON answer, which must have {@code expectedStatus}
     */
    public JsonNode postFile(SessionResponse session, String path, Path file, java.util.Map<String, String> headers,
            int expectedStatus) {
        long size;
        HttpRequest.BodyPublisher body;
        try {
            size = java.nio.file.Files.size(file);
            body = HttpRequest.BodyPublishers.ofFile(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        HttpRequest.Builder request = authorized(session, path)
                .timeout(timeout.plusSeconds(size >> 20))
                .header("Content-Type", "application/octet-stream")
                // lets the server's answer to an early refusal be read for moderate sizes (not for an
                // empty body, where the JDK client would wait for a 100 Continue in vain)
                .expectContinue(size > 0)
                .POST(body);
        headers.forEach(request::header);
        return parse(send(request.build(), expectedStatus), JsonNode.class);
    }

    private HttpRequest.Builder authorized(SessionResponse session, String path) {
        return HttpRequest.newBuilder(server.resolve(path))
                .timeout(timeout)
                .header("Accept", "application/json")
                .header("Authorization", "Bearer " + session.token());
    }

    private byte[] send(HttpRequest request, int expectedStatus) {
        return check(exchange(request, MAX_RESPONSE_BYTES), expectedStatus, MAX_RESPONSE_BYTES);
    }

    /** An answer whose body was read up to a limit (one byte more marks it as too large). */
    private record Reply(int statusCode, java.net.http.HttpHeaders headers, byte[] body) {
    }

    /** Sends {@code request}; the body is read up to {@code limit} bytes, never more. */
    private Reply exchange(HttpRequest request, int limit) {
        Reply response;
        try {
            HttpResponse<java.io.InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (java.io.InputStream in = r.body()) {
                response = new Reply(r.statusCode(), r.headers(), in.readNBytes(limit + 1));
            }
        } catch (IOException e) {
            throw new FirstPathException("cannot reach " + server + ": " + describe(e), 0, null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FirstPathException("interrupted while calling " + server, 0, null, e);
        }
        return response;
    }

    private byte[] check(Reply response, int expectedStatus, int limit) {
        byte[] body = response.body();
        if (body.length > limit) {
            throw new FirstPathException("the server's answer is too large", response.statusCode(), null, null);
        }
        if (response.statusCode() != expectedStatus) {
            ProblemType type = null;
            String code = null;
            String detail = "HTTP " + response.statusCode();
            try {
                JsonNode problem = Json.mapper().readTree(body);
                type = ProblemType.fromUri(problem.path("type").asText(null));
                // a code this gateway does not know yet (a newer server) is still named
                code = type != null ? type.code() : printableCode(problem.path("code").asText(null));
                detail = problem.path("detail").asText(detail);
            } catch (IOException | RuntimeException notJson) {
                // not a problem document: the status line is all we know
            }
            Duration retryAfter = response.headers().firstValue("Retry-After").map(FirstPathClient::seconds)
                    .orElse(null);
            throw new FirstPathException("server refused (" + response.statusCode()
                    + (code == null ? "" : " " + code) + "): " + detail, response.statusCode(), type, code,
                    retryAfter, null);
        }
        return body;
    }

    /** A problem code as the server sent it, if it looks like one (else {@code null}). */
    private static String printableCode(String code) {
        return code != null && code.length() <= 64 && code.matches("[a-z0-9-]+") ? code : null;
    }

    /** A {@code Retry-After} in delta-seconds; {@code null} for an HTTP date or anything else. */
    private static Duration seconds(String value) {
        try {
            long s = Long.parseLong(value.strip());
            return s < 0 ? null : Duration.ofSeconds(Math.min(s, 86_400));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static <T> T parse(byte[] body, Class<T> type) {
        try {
            // the server may add fields in later versions: read leniently here
            return Json.mapper().readerFor(type)
                    .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(body);
        } catch (IOException e) {
            throw new FirstPathException("the server's answer is not the expected JSON", 0, null, e);
        }
    }

    private static String describe(IOException e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return t == e ? m : e.getClass().getSimpleName() + " (" + m + ")";
    }
}
