package dev.progdist.processors.channel;

import dev.progdist.processors.auth.SessionStore;
import dev.progdist.processors.auth.UserAuthentication;
import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.http.HttpExchanges;
import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.pki.DeviceCertificateException;
import dev.progdist.processors.pki.CertificateValidation;
import dev.progdist.processors.pki.DeviceCertificateValidator;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.tls.TlsEndpoint;
import dev.progdist.protocol.tls.TlsRecords;
import dev.progdist.protocol.wire.ProblemType;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import dev.progdist.protocol.channel.ChannelCode;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Message;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inner-channel stage: the server's TLS 1.3 end of the second path, fed by
 * {@code POST /api/v1/sessions/{sid}/channel}. The request body holds the TRP's TLS records as
 * the gateway relayed them; the response body holds the server's records for the gateway to hand
 * back. The gateway sees only ciphertext and record headers.
 *
 * <p>Order of work on one request: {@link #receive} feeds the records (the handshake's trust
 * manager validates the TRP certificate chain, see {@link DeviceCertificateValidator}); when the
 * handshake has just completed the route runs processor authentication; {@link #respond} then acts
 * on the TRP's messages, but only once processor authentication accepted the device. A refused
 * or failed channel is recorded in the {@link ChannelLog} and answers nothing but an error.
 *
 * <p>Response headers: {@code Progdist-Channel-State} ({@code handshaking}, {@code open},
 * {@code closed}, {@code failed}) and, on refusal or failure, {@code Progdist-Channel-Code}.
 * Throws {@link ProblemException}: {@code forbidden} (token of another session),
 * {@code channel-busy}, {@code too-many-channels}, {@code too-many-user-channels},
 * {@code channel-rate-limited}, {@code body-too-large}. A session has one channel
 * at a time; once it has ended, the next ClientHello in that session starts a new one.
 */
public class InnerChannel {

    public static final String CHANNEL = "progdistChannel";
    public static final String NEEDS_AUTHENTICATION = "progdistChannelNeedsAuthentication";
    private static final String MESSAGES = "progdistChannelMessages";
    /** The {@link DeliveryContext} this request's delivery step starts from (the body of the delivery route). */
    public static final String DELIVERY = "progdistDelivery";
    /** {@code fetch}, {@code ack}, {@code receipt} or {@code none}: which delivery route runs next. */
    public static final String DELIVERY_STEP = "progdistDeliveryStep";
    public static final String STATE_HEADER = "Progdist-Channel-State";
    public static final String CODE_HEADER = "Progdist-Channel-Code";
    /**
     * One POST carries what one TRP step produced: a few records (a delivery's acknowledgements and
     * receipt are small; the large records flow the other way).
     */
    public static final int MAX_BODY = 4 * TlsRecords.MAX_RECORD;

    private static final Logger LOG = LoggerFactory.getLogger(InnerChannel.class);

    private final ChannelRegistry registry;
    private final ServerChannelTls tls;
    private final DeviceCertificateValidator validator;
    private final CertificateValidation certificateValidation;
    private final ChannelLog log;
    private final DeliveryLedger ledger;
    private final Clock clock;
    private final SessionStore sessions;

    /**
     * {@code sessions} lets {@link #expireIdle} also end the channels whose session has ended
     * elsewhere (a secret replaced or a user disabled from the CLI, another server instance).
     * {@code certificateValidation} judges the TRP's chain during the handshake: in the server, the
     * {@code certificate-validation} route (which runs {@code validator}).
     */
    public InnerChannel(ChannelRegistry registry, ServerChannelTls tls, DeviceCertificateValidator validator,
            CertificateValidation certificateValidation, ChannelLog log, DeliveryLedger ledger, Clock clock,
            SessionStore sessions) {
        this.certificateValidation = certificateValidation;
        this.sessions = sessions;
        this.registry = registry;
        this.tls = tls;
        this.validator = validator;
        this.log = log;
        this.ledger = ledger;
        this.clock = clock;
    }

    /** Feeds the relayed records into the session's channel (creating it on the first request). */
    public void receive(Exchange exchange) {
        SessionStore.Session session = exchange.getProperty(UserAuthentication.SESSION, SessionStore.Session.class);
        String sid = exchange.getMessage().getHeader("sid", String.class);
        if (session == null || !session.sessionId().equals(sid)) {
            throw new ProblemException(ProblemType.FORBIDDEN, "a token may only use its own session's channel");
        }
        byte[] records = HttpExchanges.readBounded(exchange, MAX_BODY);
        AtomicReference<DeviceCertificateException> refusal = new AtomicReference<>();
        AtomicReference<X509Certificate> presented = new AtomicReference<>();
        // one channel at a time per session: a finished one makes way for the next, but only for a
        // ClientHello. A record relayed after the end (a TRP answering close_notify, a late retry)
        // reaches the ended channel, which ignores it and answers its end again.
        if (TlsRecords.startsWithClientHello(records)) {
            registry.find(session.sessionId()).filter(ServerChannel::finished)
                    .ifPresent(done -> registry.remove(session.sessionId(), done));
        }
        ServerChannel channel = registry.getOrCreate(session.sessionId(), session.userId(), () -> {
            var trust = new RecordingTrustManager(validator.clientTrustManager(certificateValidation, refusal::set), presented::set);
            return new ServerChannel(session.sessionId(), session.userId(),
                    TlsEndpoint.server(tls.newContext(trust)), clock.instant(), refusal, presented);
        });
        if (!channel.tryAcquire(exchange)) {
            throw new ProblemException(ProblemType.CHANNEL_BUSY, null);
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                // a safety net for a request that failed before reply(); a no-op after it
                channel.release(exchange);
            }
        });
        channel.touch(clock.instant());
        boolean wasHandshaking = channel.tls().state() == TlsEndpoint.State.HANDSHAKING;
        List<ChannelMessage> messages = channel.channel().receive(records);
        exchange.setProperty(CHANNEL, channel);
        exchange.setProperty(MESSAGES, messages);
        exchange.setProperty(NEEDS_AUTHENTICATION, wasHandshaking && channel.tls().state() == TlsEndpoint.State.OPEN
                && channel.authentication() == ServerChannel.Authentication.PENDING);
    }

    /**
     * Acts on the TRP's control messages (only if its processor authentication succeeded). A
     * delivery message (at most one per request) is left in {@link #DELIVERY_MESSAGE} for the route
     * named by {@link #DELIVERY_STEP}; {@link #reply} then answers.
     */
    @SuppressWarnings("unchecked")
    public void respond(Exchange exchange) {
        ServerChannel channel = exchange.getProperty(CHANNEL, ServerChannel.class);
        List<ChannelMessage> messages = exchange.getProperty(MESSAGES, List.class);
        exchange.setProperty(DELIVERY_STEP, "none");
        if (channel.authentication() == ServerChannel.Authentication.REFUSED && !channel.finished()) {
            tellAndClose(channel, new ChannelMessage.ErrorMessage(channel.refusalCode(), channel.refusalDetail()));
            log.record(channel.sessionId(), channel.userId(), channel.deviceId(), channel.fingerprint(), "refused",
                    channel.refusalCode(), channel.refusalDetail());
            channel.finish();
        }
        if (channel.authentication() == ServerChannel.Authentication.ACCEPTED && !channel.finished()) {
            for (ChannelMessage m : messages) {
                handle(exchange, channel, m);
                if (channel.finished()) {
                    exchange.setProperty(DELIVERY_STEP, "none");
                    break;
                }
            }
        }
    }

    /** Records how the channel ended if TLS or the codec broke it, and answers with its records. */
    public void reply(Exchange exchange) {
        ServerChannel channel = exchange.getProperty(CHANNEL, ServerChannel.class);
        endIfBroken(channel);
        reply(exchange, channel);
    }

    /** Ends the channel of a session that was closed on the first path. */
    public void endSession(Exchange exchange) {
        String sid = exchange.getMessage().getHeader("sid", String.class);
        if (sid != null) {
            registry.remove(sid).ifPresent(c -> finishQuietly(c, "closed", ChannelCode.SESSION_CLOSED.label(),
                    "the first-path session was closed"));
        }
    }

    /**
     * Ends the channels of sessions that were just ended (a secret replaced, a user disabled, their
     * sessions revoked), right after the transaction that ended them committed.
     */
    public void endSessions(List<String> sessionIds) {
        for (String sid : sessionIds) {
            registry.remove(sid).ifPresent(c -> finishQuietly(c, "closed", ChannelCode.SESSION_ENDED.label(),
                    "the first-path session was ended"));
        }
    }

    /**
     * Drops channels idle past the timeout, and ends those whose session has ended where this
     * instance did not see it (housekeeping).
     */
    public int expireIdle() {
        List<String> open = registry.sessionsWithLiveChannels();
        if (!open.isEmpty()) {
            java.util.Set<String> live = sessions.live(open);
            endSessions(open.stream().filter(sid -> !live.contains(sid)).toList());
        }
        List<ServerChannel> expired = registry.expireIdle();
        for (ServerChannel c : expired) {
            boolean cut = c.channel().truncated();
            finishQuietly(c, "failed", (cut ? ChannelCode.TRUNCATED : ChannelCode.IDLE_TIMEOUT).label(), cut
                    ? "the stream stopped inside a record or message" : "no traffic within the idle timeout");
        }
        return expired.size();
    }

    private void handle(Exchange exchange, ServerChannel channel, ChannelMessage message) {
        if (message instanceof ChannelMessage.Fetch || message instanceof ChannelMessage.DeliveryAck
                || message instanceof ChannelMessage.Receipt) {
            if (!channel.helloReceived()) {
                fail(channel, ChannelCode.PROTOCOL_VIOLATION, message.type().label() + " before Hello");
            } else if (!"none".equals(exchange.getProperty(DELIVERY_STEP))) {
                // strict ping-pong: one delivery step per relay round
                fail(channel, ChannelCode.PROTOCOL_VIOLATION, "more than one delivery message in one relay round");
            } else if (message instanceof ChannelMessage.Fetch fetch) {
                if (channel.deliveryInProgress()) {
                    fail(channel, ChannelCode.PROTOCOL_VIOLATION, "a delivery is already in progress on this channel");
                } else {
                    startStep(exchange, "fetch", DeliveryContext.requested(channel.deviceSession(), fetch));
                }
            } else if (!channel.deliveryInProgress()) {
                fail(channel, ChannelCode.PROTOCOL_VIOLATION, "no delivery awaits this message");
            } else {
                startStep(exchange, message instanceof ChannelMessage.DeliveryAck ? "ack" : "receipt",
                        channel.delivery().receiving(message));
            }
        } else if (message instanceof ChannelMessage.Hello hello) {
            if (channel.helloReceived()) {
                fail(channel, ChannelCode.PROTOCOL_VIOLATION, "a second Hello on one channel");
            } else if (!hello.deviceId().equals(channel.deviceId())) {
                fail(channel, ChannelCode.HELLO_MISMATCH, "Hello names device " + hello.deviceId()
                        + " but the certificate is for " + channel.deviceId());
            } else {
                channel.helloReceived(true);
                channel.installed(hello.installed());
                channel.channel().send(new ChannelMessage.HelloAck(channel.sessionId(), channel.deviceId(),
                        channel.userId()));
                LOG.info("Second path open: session {}, device {}, {} program(s) installed", channel.sessionId(),
                        channel.deviceId(), hello.installed().size());
            }
        } else if (message instanceof ChannelMessage.Close) {
            channel.tls().close();
            settleDelivery(channel, ChannelCode.CHANNEL_CLOSED.label(), "the TRP closed the channel during the delivery");
            log.record(channel.sessionId(), channel.userId(), channel.deviceId(), channel.fingerprint(), "closed",
                    null, "the TRP closed the channel");
            channel.finish();
        } else if (message instanceof ChannelMessage.ErrorMessage error) {
            channel.refuseAfterFailure("trp-" + error.code(), error.message());
            channel.tls().close();
            settleDelivery(channel, "trp-" + error.code(), error.message());
            log.record(channel.sessionId(), channel.userId(), channel.deviceId(), channel.fingerprint(), "failed",
                    "trp-" + error.code(), error.message());
            channel.finish();
        } else {
            fail(channel, ChannelCode.PROTOCOL_VIOLATION, "unexpected " + message.type() + " from the TRP");
        }
    }

    private static void startStep(Exchange exchange, String step, DeliveryContext delivery) {
        exchange.setProperty(DELIVERY, delivery);
        exchange.setProperty(DELIVERY_STEP, step);
    }

    /**
     * After a delivery stage returned: sends what it says must go to the TRP ({@link
     * DeliveryContext#outgoing()}) and keeps the context for the TRP's next message. After an
     * install, the channel closes.
     */
    public void deliver(@Body DeliveryContext delivery, @ExchangeProperty(CHANNEL) ServerChannel channel) {
        for (ChannelMessage m : delivery.outgoing()) {
            channel.channel().send(m);
        }
        channel.delivery(delivery.sentOut());
        if (delivery.finished()) {
            channel.tls().close();
        }
    }

    /**
     * Ends the channel because delivery stage failed on {@code delivery} (the context the failing
     * stage was given): its ledger row fails with {@code code}, its keys and stream are released.
     */
    public void failDelivery(ServerChannel channel, DeliveryContext delivery, String code, String detail) {
        if (delivery != null && !channel.finished()) {
            channel.delivery(delivery);
        }
        fail(channel, code, detail);
    }

    public void fail(ServerChannel channel, ChannelCode code, String detail) {
        fail(channel, code.label(), detail);
    }

    /**
     * Ends an accepted channel because of a failure on the server's side: tells the TRP (Error),
     * closes TLS, records the failure of any delivery in progress and of the channel.
     */
    private void fail(ServerChannel channel, String code, String detail) {
        if (channel.finished()) {
            return;
        }
        settleDelivery(channel, code, detail);
        channel.refuseAfterFailure(code, detail);
        tellAndClose(channel, new ChannelMessage.ErrorMessage(code, detail));
        log.record(channel.sessionId(), channel.userId(), channel.deviceId(), channel.fingerprint(), "failed", code,
                detail);
        channel.finish();
    }

    /** A delivery still in progress when its channel ends failed: the ledger says so, with why. */
    private void settleDelivery(ServerChannel channel, String code, String detail) {
        DeliveryContext d = channel.endDelivery();
        if (d != null && !d.finished() && d.deliveryId() != null) {
            ledger.failed(d.deliveryId(), code, detail);
        }
    }

    private static void tellAndClose(ServerChannel channel, ChannelMessage.ErrorMessage error) {
        if (channel.tls().state() == TlsEndpoint.State.OPEN) {
            channel.channel().send(error);
        }
        channel.tls().close();
    }

    /** Records the end of a channel that TLS or the codec broke (or the peer closed). */
    private void endIfBroken(ServerChannel channel) {
        if (channel.finished()) {
            return;
        }
        TlsEndpoint.State state = channel.tls().state();
        if (state == TlsEndpoint.State.FAILED || channel.channel().codecFailure() != null) {
            DeviceCertificateException refused = channel.certificateRefusal();
            X509Certificate presented = channel.presentedCertificate();
            String code = refused != null ? refused.reason().code()
                    : channel.channel().codecFailure() != null ? channel.channel().codecFailure() : ChannelCode.TLS_FAILURE.label();
            String detail = refused != null ? refused.getMessage() : channel.tls().failure();
            String device = channel.deviceId();
            if (device == null && presented != null) {
                device = deviceIdOrNull(presented);
            }
            log.record(channel.sessionId(), channel.userId(), device,
                    presented == null ? null : Fingerprints.sha256(presented), refused != null ? "refused" : "failed",
                    code, detail);
            channel.refuseAfterFailure(code, detail);
            settleDelivery(channel, code, detail);
            channel.finish();
        } else if (state == TlsEndpoint.State.CLOSED) {
            settleDelivery(channel, ChannelCode.CHANNEL_CLOSED.label(), "the channel was closed during the delivery");
            log.record(channel.sessionId(), channel.userId(), channel.deviceId(), channel.fingerprint(),
                    channel.channel().truncated() ? "failed" : "closed",
                    channel.channel().truncated() ? ChannelCode.TRUNCATED.label() : null, "the channel was closed");
            channel.finish();
        }
    }

    private void finishQuietly(ServerChannel c, String outcome, String code, String detail) {
        if (!c.finished()) {
            c.tls().close();
            settleDelivery(c, code, detail);
            log.record(c.sessionId(), c.userId(), c.deviceId(), c.fingerprint(), outcome, code, detail);
            c.finish();
        }
    }

    private static String deviceIdOrNull(X509Certificate cert) {
        try {
            return dev.progdist.protocol.keys.CertificateProfile.deviceIdOf(cert);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void reply(Exchange exchange, ServerChannel channel) {
        byte[] out = channel.channel().drainOutbound();
        // free the channel before the answer is written: the relay's next request may arrive as soon
        // as the gateway has read it, before this exchange's completion callbacks have run
        channel.release(exchange);
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setBody(out);
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        m.setHeader(Exchange.CONTENT_TYPE, "application/octet-stream");
        m.setHeader("Cache-Control", "no-store");
        m.setHeader(STATE_HEADER, channel.tls().state().name().toLowerCase(java.util.Locale.ROOT));
        if (channel.refusalCode() != null) {
            m.setHeader(CODE_HEADER, channel.refusalCode());
        }
    }
}
