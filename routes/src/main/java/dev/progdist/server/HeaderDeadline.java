package dev.progdist.server;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deadline for the TLS handshake and a request's headers ({@code progdist.server.header-timeout}),
 * which Jetty does not have: its idle timeout restarts with every byte, so a client that trickles a
 * ClientHello or a request line one byte at a time holds a connection for as long as it likes, and
 * {@code max-connections} of them keep Jetty from accepting anyone else.
 *
 * <p>A listener on the connector, for each connection opened on a network socket (the TLS connection;
 * the HTTP connection inside it is reached through it). Every {@code timeout} it looks again, and
 * closes the socket if
 * <ul>
 *   <li>no request's headers have arrived since the connection opened (handshake or first request
 *       line and headers still incomplete), or</li>
 *   <li>no new request's headers have arrived since the last look and the parser is in the middle of
 *       a request line or headers (a kept-alive connection trickling its next request: cut within one
 *       to two timeouts).</li>
 * </ul>
 * A connection idle between requests is left to the idle timeout; one reading a body or writing a
 * response is left alone (the front door bounds bodies).
 */
final class HeaderDeadline implements Connection.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(HeaderDeadline.class);

    private final Scheduler scheduler;
    private final long timeoutMillis;

    HeaderDeadline(Scheduler scheduler, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("progdist.server.header-timeout must be positive");
        }
        this.scheduler = scheduler;
        this.timeoutMillis = timeout.toMillis();
    }

    @Override
    public void onOpened(Connection connection) {
        if (connection.getEndPoint() instanceof SslConnection.SslEndPoint) {
            return; // the HTTP connection inside TLS: watched through its TLS connection
        }
        schedule(connection, 0);
    }

    @Override
    public void onClosed(Connection connection) {
        // the next look finds the socket closed and stops
    }

    private void schedule(Connection connection, long requestsSeen) {
        scheduler.schedule(() -> check(connection, requestsSeen), timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void check(Connection connection, long requestsSeen) {
        EndPoint socket = connection.getEndPoint();
        if (!socket.isOpen()) {
            return;
        }
        Connection inner = connection instanceof SslConnection ssl ? ssl.getSslEndPoint().getConnection() : connection;
        HttpConnection http = inner instanceof HttpConnection h ? h : null;
        if (inner != null && http == null && !(connection instanceof SslConnection)) {
            return; // not HTTP/1 (nothing else is configured): not ours to judge
        }
        long requests = http == null ? 0 : http.getMessagesIn();
        HttpParser parser = http == null ? null : http.getParser();
        boolean midHeaders = parser != null && parser.inHeaderState() && !parser.isStart();
        if (requests == requestsSeen && (requests == 0 || midHeaders)) {
            LOG.debug("closing {}: no complete request headers within {} ms", socket.getRemoteSocketAddress(),
                    timeoutMillis);
            socket.close();
            return;
        }
        schedule(connection, requests);
    }
}
