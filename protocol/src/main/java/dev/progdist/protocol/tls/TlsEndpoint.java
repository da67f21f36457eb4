package dev.progdist.protocol.tls;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

/**
 * One end of the second path: a TLS 1.3 connection driven through the JDK's {@link SSLEngine}
 * over whatever carries its records (here: HTTP bodies and JMS messages relayed by the gateway).
 * Bytes go in with {@link #receive}, bytes to send come out of {@link #drainOutbound}, plaintext
 * application data comes out of {@link #drainPlaintext}.
 *
 * <p>Guarantees inherited from TLS 1.3 (RFC 8446): mutual authentication by certificate and
 * CertificateVerify (the private key's proof of possession), forward secrecy, and integrity,
 * ordering and replay protection of every record. Any tampered, dropped, replayed, reordered or
 * foreign record makes the engine fail; the endpoint then moves to {@link State#FAILED} for good
 * and keeps the reason. Restricted to TLS 1.3 and its AEAD suites. No resumption: the client
 * engine has no peer identity to cache a session under, so the TRP never offers a ticket, and the
 * server side builds a new {@link SSLContext} (hence new ticket keys) for every channel, so a
 * ticket could not be redeemed anyway. No 0-RTT: the JDK implements none.
 *
 * <p>Not thread-safe: one conversation, one caller at a time.
 */
public final class TlsEndpoint {

    /** Lifecycle of the connection. */
    public enum State { HANDSHAKING, OPEN, CLOSED, FAILED }

    public static final String PROTOCOL = "TLSv1.3";
    public static final String[] CIPHER_SUITES = {
        "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"};

    /** Inbound bytes buffered while waiting for the rest of a record: at most two records. */
    private static final int MAX_PENDING = 2 * TlsRecords.MAX_RECORD;

    private final SSLEngine engine;
    private final boolean client;
    private ByteBuffer netIn;
    private final ByteBuffer netOut;
    private final ByteBuffer appIn;
    // not final: a drained buffer is replaced, not reset, so that an endpoint that once carried a
    // 1 MiB delivery window does not keep that capacity for the rest of its life (an ended channel
    // stays registered until its idle timeout; a fleet holds a thousand TRP endpoints)
    private ByteArrayOutputStream outbound = new ByteArrayOutputStream();
    private ByteArrayOutputStream plaintext = new ByteArrayOutputStream();
    private State state = State.HANDSHAKING;
    private String failure;
    private boolean justOpened;

    private TlsEndpoint(SSLEngine engine, boolean client) {
        this.engine = engine;
        this.client = client;
        SSLSession s = engine.getSession();
        this.netIn = ByteBuffer.allocate(s.getPacketBufferSize());
        this.netOut = ByteBuffer.allocate(s.getPacketBufferSize());
        this.appIn = ByteBuffer.allocate(s.getApplicationBufferSize());
    }

    /** The TRP's end: presents the key managers' certificate, trusts what the trust managers accept. */
    public static TlsEndpoint client(SSLContext context) {
        SSLEngine e = context.createSSLEngine(); // no peer host/port: nothing to resume under
        e.setUseClientMode(true);
        e.setSSLParameters(parameters(context, false));
        return new TlsEndpoint(e, true);
    }

    /** The server's end: requires a client certificate. */
    public static TlsEndpoint server(SSLContext context) {
        SSLEngine e = context.createSSLEngine();
        e.setUseClientMode(false);
        e.setSSLParameters(parameters(context, true));
        return new TlsEndpoint(e, false);
    }

    private static SSLParameters parameters(SSLContext context, boolean server) {
        SSLParameters p = context.getDefaultSSLParameters();
        p.setProtocols(new String[] {PROTOCOL});
        p.setCipherSuites(CIPHER_SUITES);
        if (server) {
            p.setNeedClientAuth(true);
        }
        return p;
    }

    /** Client only: produces the ClientHello. */
    public void begin() {
        if (!client) {
            throw new IllegalStateException("only the client begins");
        }
        try {
            engine.beginHandshake();
            pump();
        } catch (SSLException e) {
            fail(e);
        }
    }

    /**
     * Feeds bytes received from the peer (any split of its records). Never throws for bad input:
     * a failure moves the endpoint to {@link State#FAILED} (with a TLS alert queued for the peer
     * where the engine produced one).
     */
    public void receive(byte[] bytes) {
        if (state == State.FAILED || state == State.CLOSED) {
            return;
        }
        // feed at most one record's worth at a time, so only an incomplete record is ever pending
        for (int off = 0; off < bytes.length && state != State.FAILED && state != State.CLOSED;
                off += TlsRecords.MAX_RECORD) {
            int len = Math.min(TlsRecords.MAX_RECORD, bytes.length - off);
            if (netIn.position() + len > MAX_PENDING) {
                failWith("peer sent more than two records' worth of unprocessed bytes");
                return;
            }
            if (netIn.remaining() < len) {
                ByteBuffer bigger = ByteBuffer.allocate(netIn.position() + len);
                netIn.flip();
                bigger.put(netIn);
                netIn = bigger;
            }
            netIn.put(bytes, off, len);
            try {
                pump();
            } catch (SSLException | RuntimeException e) {
                fail(e);
            }
        }
    }

    /** Encrypts application data for the peer; only when {@link State#OPEN}. */
    public void send(byte[] data) {
        if (state != State.OPEN) {
            throw new IllegalStateException("channel is " + state);
        }
        try {
            ByteBuffer src = ByteBuffer.wrap(data);
            while (src.hasRemaining()) {
                netOut.clear();
                SSLEngineResult r = engine.wrap(src, netOut);
                if (r.getStatus() != SSLEngineResult.Status.OK) {
                    throw new SSLException("wrap: " + r.getStatus());
                }
                collect();
            }
        } catch (SSLException e) {
            fail(e);
        }
    }

    /** Sends close_notify; the endpoint is closed for sending at once. */
    public void close() {
        if (state == State.FAILED || state == State.CLOSED) {
            return;
        }
        engine.closeOutbound();
        try {
            pump();
        } catch (SSLException e) {
            fail(e);
            return;
        }
        state = State.CLOSED;
    }

    /** Bytes to hand to the peer; empties the buffer. */
    public byte[] drainOutbound() {
        byte[] b = outbound.toByteArray();
        outbound = new ByteArrayOutputStream();
        return b;
    }

    /** Decrypted application data received so far; empties the buffer. */
    public byte[] drainPlaintext() {
        byte[] b = plaintext.toByteArray();
        plaintext = new ByteArrayOutputStream();
        return b;
    }

    /** True once, right after the handshake completed (for the caller's next step). */
    public boolean takeJustOpened() {
        boolean j = justOpened;
        justOpened = false;
        return j;
    }

    public State state() {
        return state;
    }

    /** Why the endpoint failed, or {@code null}. */
    public String failure() {
        return failure;
    }

    /** The negotiated session (protocol, cipher suite, peer certificates) once open. */
    public SSLSession session() {
        return engine.getSession();
    }

    /** True when bytes of an incomplete record are waiting for more input. */
    public boolean hasPartialRecord() {
        return netIn.position() > 0;
    }

    private void pump() throws SSLException {
        while (true) {
            HandshakeStatus hs = engine.getHandshakeStatus();
            switch (hs) {
                case NEED_TASK -> {
                    Runnable task;
                    while ((task = engine.getDelegatedTask()) != null) {
                        task.run();
                    }
                }
                case NEED_WRAP -> {
                    netOut.clear();
                    SSLEngineResult r = engine.wrap(ByteBuffer.allocate(0), netOut);
                    collect();
                    after(r);
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED && r.bytesProduced() == 0) {
                        return;
                    }
                }
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN, NOT_HANDSHAKING, FINISHED -> {
                    if (netIn.position() == 0 && hs != HandshakeStatus.NEED_UNWRAP_AGAIN) {
                        return;
                    }
                    netIn.flip();
                    SSLEngineResult r;
                    try {
                        r = engine.unwrap(netIn, appIn);
                    } finally {
                        netIn.compact();
                    }
                    appIn.flip();
                    if (appIn.hasRemaining()) {
                        byte[] data = new byte[appIn.remaining()];
                        appIn.get(data);
                        plaintext.writeBytes(data);
                    }
                    appIn.clear();
                    after(r);
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                        return; // the rest of the record has not arrived yet
                    }
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                        if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
                            continue; // answer close_notify
                        }
                        state = state == State.FAILED ? state : State.CLOSED;
                        return;
                    }
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                        throw new SSLException("record larger than the application buffer");
                    }
                }
                default -> throw new SSLException("unexpected handshake status " + hs);
            }
        }
    }

    private void after(SSLEngineResult r) {
        if (r.getHandshakeStatus() == HandshakeStatus.FINISHED && state == State.HANDSHAKING) {
            state = State.OPEN;
            justOpened = true;
            if (!client) {
                engine.getSession().invalidate(); // never resumable
            }
        }
        if (r.getStatus() == SSLEngineResult.Status.CLOSED && state != State.FAILED) {
            state = State.CLOSED;
        }
    }

    private void collect() {
        netOut.flip();
        byte[] b = new byte[netOut.remaining()];
        netOut.get(b);
        outbound.writeBytes(b);
        netOut.clear();
    }

    private void fail(Exception e) {
        failWith(describe(e));
        // let the engine emit its alert so the peer learns why
        try {
            engine.closeOutbound();
            for (int i = 0; i < 4 && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP; i++) {
                netOut.clear();
                engine.wrap(ByteBuffer.allocate(0), netOut);
                collect();
            }
        } catch (SSLException | RuntimeException ignored) {
            // the engine is already broken: no alert to send
        }
        try {
            engine.closeInbound();
        } catch (SSLException ignored) {
            // expected: inbound closed without close_notify
        }
    }

    private void failWith(String reason) {
        if (state != State.FAILED) {
            state = State.FAILED;
            failure = reason;
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        Throwable c = e.getCause();
        if (c != null && c.getMessage() != null && !c.getMessage().equals(m)) {
            m = m + " (" + c.getMessage() + ")";
        }
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
