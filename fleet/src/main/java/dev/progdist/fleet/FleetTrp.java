package dev.progdist.fleet;

import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.bus.BusMessageConverter;
import dev.progdist.protocol.wire.DeviceBusMessage;
import dev.progdist.trp.InstalledPrograms;
import dev.progdist.trp.TrpChannel;
import dev.progdist.trp.TrpFaults;
import dev.progdist.trp.TrpIdentityStore;
import dev.progdist.trp.TrpRequestHandler;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One emulated TRP of the fleet on the shared device bus: its own connection as its own bus user,
 * one session whose listener answers requests on {@code trp.<id>.in} through the TRP emulator's
 * own {@link TrpRequestHandler} (the same {@link TrpChannel}, {@code TrpDelivery} and
 * {@link InstalledPrograms} as {@code ./progdist trp run}). The identity store is opened and its
 * key unsealed when the TRP starts, as {@code trp run} does: opening runs the PKCS#12 store's
 * PBKDF2 several times (one unseal: 3.6 ms in {@code bench rollout}), a cost of the emulator's
 * software store that a real TRP does not have, and that would otherwise land on the TRP's first
 * delivery.
 */
final class FleetTrp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FleetTrp.class);

    private final String deviceId;
    private final BusMessageConverter converter;
    private final Connection connection;
    private final Session session;
    private final MessageProducer replies;
    /** Replies to this TRP's own reply queue, where the fleet's gateway asks for them. */
    private final MessageProducer ownReplies;
    private final String ownReplyQueue;
    private final TrpRequestHandler handler;

    FleetTrp(Home home, String deviceId, TrpFaults faults, FleetBus bus) throws JMSException {
        this.deviceId = DeviceId.require(deviceId);
        this.converter = bus.converter();
        TrpIdentityStore identity = TrpIdentityStore.open(home, deviceId);
        InstalledPrograms installed = new InstalledPrograms(home, deviceId);
        this.handler = new TrpRequestHandler(identity, installed, new TrpChannel(identity, installed, faults));
        this.connection = bus.connectTrp(deviceId);
        try {
            session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            replies = session.createProducer(null);
            // a send to a request's JMSReplyTo (a new destination object each time) would ask the
            // broker on every reply whether the queue exists, and the broker scans every address to
            // answer (FleetBus.knownQueue); the fleet's gateway made this queue before any TRP started
            ownReplyQueue = DeviceId.outboundQueue(deviceId);
            ownReplies = session.createProducer(FleetBus.knownQueue(ownReplyQueue));
            session.createConsumer(session.createQueue(DeviceId.inboundQueue(deviceId))).setMessageListener(this::onRequest);
            connection.start();
        } catch (JMSException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    String deviceId() {
        return deviceId;
    }

    /** True once a vanish fault has made this TRP silent. */
    boolean silent() {
        return handler.silent();
    }

    /** On the session's thread (one request at a time per TRP), as the TRP route's single consumer. */
    private void onRequest(Message request) {
        Object body;
        try {
            body = converter.fromMessage(request);
        } catch (JMSException | RuntimeException e) {
            // refused unread (type or size), logged by the converter; no reply, as the TRP route
            return;
        }
        try {
            Optional<TrpRequestHandler.Reply> reply = handler.handle(
                    request.getStringProperty(DeviceBusMessage.KIND_HEADER), name -> property(request, name), body);
            if (reply.isEmpty() || request.getJMSReplyTo() == null) {
                return;
            }
            Message m = converter.toMessage(reply.get().body(), session);
            for (var h : reply.get().headers().entrySet()) {
                m.setStringProperty(h.getKey(), h.getValue());
            }
            m.setJMSCorrelationID(request.getJMSCorrelationID() != null ? request.getJMSCorrelationID()
                    : request.getJMSMessageID());
            if (request.getJMSReplyTo() instanceof Queue q && ownReplyQueue.equals(q.getQueueName())) {
                ownReplies.send(m, DeliveryMode.NON_PERSISTENT, Message.DEFAULT_PRIORITY, 0);
            } else {
                replies.send(request.getJMSReplyTo(), m, DeliveryMode.NON_PERSISTENT, Message.DEFAULT_PRIORITY, 0);
            }
        } catch (JMSException | RuntimeException e) {
            LOG.warn("TRP {}: cannot answer a device-bus request: {}", deviceId, e.getMessage());
        }
    }

    private static String property(Message m, String name) {
        try {
            return m.getStringProperty(name);
        } catch (JMSException e) {
            return null;
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (JMSException e) {
            LOG.debug("Closing TRP {}'s bus connection: {}", deviceId, e.getMessage());
        }
    }
}
