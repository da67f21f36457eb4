package dev.progdist.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.keys.KeyStores;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * One raw TLS connection to the test server, for requests no well-behaved HTTP client sends: bytes
 * exactly as written (bad URIs, huge headers, trickled bodies), and the response as it comes.
 */
final class RawHttps implements Closeable {

    private final SSLSocket socket;
    private final OutputStream out;
    private final InputStream in;

    RawHttps(SSLContext tls, int port) throws IOException {
        this(tls, port, null, null);
    }

    /** A connection offering only {@code protocol} and {@code suites}, if given. */
    RawHttps(SSLContext tls, int port, String protocol, String[] suites) throws IOException {
        socket = (SSLSocket) tls.getSocketFactory().createSocket("localhost", port);
        socket.setSoTimeout(15_000);
        if (protocol != null) {
            socket.setEnabledProtocols(new String[] {protocol});
        }
        if (suites != null) {
            socket.setEnabledCipherSuites(suites);
        }
        socket.startHandshake();
        out = socket.getOutputStream();
        in = socket.getInputStream();
    }

    static SSLContext trusting(X509Certificate ca) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(KeyStores.trustStoreOf(ca));
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        return tls;
    }

    SSLSocket socket() {
        return socket;
    }

    RawHttps write(String text) throws IOException {
        return write(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawHttps write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Sends a whole request with the given head lines (CRLF added) and body. */
    Response exchange(String requestLine, String headers, String body) throws IOException {
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        write(requestLine + "\r\nHost: localhost\r\n" + (headers.isEmpty() ? "" : headers + "\r\n")
                + (body == null ? "" : "Content-Length: " + b.length + "\r\n") + "\r\n");
        write(b);
        return read();
    }

    /** Reads one response: status line, headers and a Content-Length or chunked body. */
    Response read() throws IOException {
        String status = line();
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String l = line(); !l.isEmpty(); l = line()) {
            int colon = l.indexOf(':');
            headers.merge(l.substring(0, colon).strip(), l.substring(colon + 1).strip(), (a, b) -> a + ", " + b);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(headers.get("Transfer-Encoding"))) {
            for (int size = Integer.parseInt(line().strip(), 16); size > 0; size = Integer.parseInt(line().strip(), 16)) {
                body.write(in.readNBytes(size));
                line();
            }
            line();
        } else if (headers.containsKey("Content-Length")) {
            body.write(in.readNBytes(Integer.parseInt(headers.get("Content-Length"))));
        }
        return new Response(Integer.parseInt(status.split(" ")[1]), headers, body.toString(StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c == -1) {
                throw new IOException("connection closed after '" + b + "'");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing a test connection
        }
    }

    record Response(int status, Map<String, String> headers, String body) {

        String contentType() {
            return headers.getOrDefault("Content-Type", "").toLowerCase(Locale.ROOT);
        }

        JsonNode json() throws IOException {
            return Json.mapper().readTree(body);
        }
    }
}
