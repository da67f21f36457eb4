package dev.progdist.fleet;

import dev.progdist.gateway.DeviceBus;
import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.bus.BusConnections;
import dev.progdist.protocol.bus.BusMessageConverter;
import dev.progdist.protocol.bus.BusUsers;
import dev.progdist.protocol.bus.DeviceBusSecurity;
import dev.progdist.protocol.bus.EmbeddedBroker;
import dev.progdist.protocol.keys.SecretSource;
import dev.progdist.protocol.wire.DeviceBusMessage;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.activemq.artemis.api.jms.ActiveMQJMSClient;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.activemq.artemis.jms.client.ActiveMQQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet's one device bus: an embedded Artemis broker (in-VM only) with the device bus's own
 * security ({@link DeviceBusSecurity}: the gateway user, and one bus user {@code trp-<id>} with its
 * own secret per TRP), the session-scoped queue pair {@code trp.<id>.in}/{@code trp.<id>.out} per
 * device, and the gateway's side of it as a {@link DeviceBus.Transport} over plain JMS.
 *
 * <p>Why not the gateway's routes: camel-jms gives every exclusive reply queue its own listener
 * container and thread, and every TRP route its own consumer thread; a thousand devices would be
 * two thousand threads. Here the gateway has one connection, a few listener sessions that hold
 * all reply consumers (a reply only completes a waiting future), and a bounded pool of sending
 * sessions; each TRP has its own connection as its own bus user, whose listener runs on Artemis'
 * shared client thread pool. The wire is the same as the gateway's and the TRP's: JMS
 * correlation IDs, {@code JMSReplyTo} {@code trp.<id>.out}, bytes and text only
 * ({@link BusMessageConverter}), non-persistent.
 */
final class FleetBus implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FleetBus.class);
    private static final int LISTENER_SESSIONS = 4;

    private final EmbeddedBroker broker;
    private final ActiveMQConnectionFactory factory;
    private final BusMessageConverter converter;
    private final Connection gateway;
    private final List<Session> listenerSessions = new ArrayList<>();
    private final BlockingQueue<Sender> senders;
    private final AtomicInteger sendersMade = new AtomicInteger();
    private final int maxSenders;
    private final Map<String, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
    /** Each device's queue pair: requests (as {@link #knownQueue}) and the replies this bus listens on. */
    private final Map<String, DeviceQueues> queues = new ConcurrentHashMap<>();
    private final Duration requestTimeout;
    private final Duration stepTimeout;
    private final SecretSource secrets;

    /** One pooled sending session (sessions are single-threaded: one borrower at a time). */
    private record Sender(Session session, MessageProducer producer) {
    }

    FleetBus(Home home, Path dataDir, long maxMessageBytes, int maxSenders, Duration requestTimeout,
            Duration stepTimeout) {
        this.secrets = new SecretSource(home);
        this.converter = new BusMessageConverter(maxMessageBytes);
        this.maxSenders = maxSenders;
        this.senders = new ArrayBlockingQueue<>(maxSenders);
        this.requestTimeout = requestTimeout;
        this.stepTimeout = stepTimeout;
        char[] gatewaySecret = secrets.getOrCreate(BusUsers.GATEWAY_SECRET);
        broker = new EmbeddedBroker("progdist-fleet-bus", Home.ensurePrivateDirectory(dataDir), null,
                new DeviceBusSecurity(gatewaySecret, secrets), 0)
                // two queues per device, each holding a message or two at a time: 32 KiB each otherwise
                .initialQueueBuffer(64)
                .start();
        factory = BusConnections.factory(broker.inVmUrl());
        try {
            gateway = factory.createConnection(BusUsers.GATEWAY_USER, new String(gatewaySecret));
            for (int i = 0; i < LISTENER_SESSIONS; i++) {
                listenerSessions.add(gateway.createSession(false, Session.AUTO_ACKNOWLEDGE));
            }
        } catch (JMSException e) {
            broker.close();
            throw new IllegalStateException("cannot connect to the fleet's device bus: " + e.getMessage(), e);
        }
    }

    /**
     * Readies the reply queue of each device (before {@link #startGateway()}): one consumer per
     * device, spread over the listener sessions. Also creates each TRP's bus secret if it has none.
     */
    void addDevices(List<String> devices) {
        try {
            for (int i = 0; i < devices.size(); i++) {
                String device = DeviceId.require(devices.get(i));
                secrets.getOrCreate(BusUsers.trpSecretName(device));
                Session s = listenerSessions.get(i % listenerSessions.size());
                Queue out = s.createQueue(DeviceId.outboundQueue(device));
                MessageConsumer consumer = s.createConsumer(out);
                consumer.setMessageListener(this::onReply);
                queues.put(device, new DeviceQueues(knownQueue(DeviceId.inboundQueue(device)), out));
            }
        } catch (JMSException e) {
            throw new IllegalStateException("cannot create the fleet's reply queues: " + e.getMessage(), e);
        }
    }

    private record DeviceQueues(Queue requests, Queue replies) {
    }

    /**
     * A queue of this fleet's own broker, marked as checked: a JMS send to a queue object not yet
     * checked first asks the broker whether it exists, and the broker answers by scanning every
     * address (two per device), which made a 10,000-device fleet spend most of its time there. The
     * fleet made these queues itself (each one's consumer creates it before any send to it), so the
     * question is skipped; a message to a queue that is gone would go unanswered and time out.
     */
    static Queue knownQueue(String name) {
        ActiveMQQueue q = (ActiveMQQueue) ActiveMQJMSClient.createQueue(name);
        q.setCreated(true);
        return q;
    }

    void startGateway() {
        try {
            gateway.start();
        } catch (JMSException e) {
            throw new IllegalStateException("cannot start the fleet's gateway connection: " + e.getMessage(), e);
        }
    }

    private void onReply(Message m) {
        try {
            CompletableFuture<Message> waiting = m.getJMSCorrelationID() == null ? null
                    : pending.remove(m.getJMSCorrelationID());
            if (waiting == null) {
                LOG.debug("Dropped a late or unasked-for reply on {}", m.getJMSDestination());
                return;
            }
            waiting.complete(m);
        } catch (JMSException e) {
            LOG.warn("Unreadable reply on the fleet's device bus: {}", e.getMessage());
        }
    }

    /** The gateway's side of this bus, for {@link DeviceBus}. */
    DeviceBus.Transport transport() {
        return new DeviceBus.Transport() {
            @Override
            public String status(String deviceId) {
                Message reply = request(deviceId, "status", "{}", Map.of(), requestTimeout);
                Object body = read(reply);
                return body instanceof String s ? s : null;
            }

            @Override
            public DeviceBus.Reply channel(String deviceId, String kind, byte[] records, Map<String, Object> headers) {
                Message reply = request(deviceId, kind, records, headers, stepTimeout);
                return new DeviceBus.Reply(read(reply), properties(reply));
            }
        };
    }

    private Object read(Message reply) {
        try {
            return converter.fromMessage(reply);
        } catch (JMSException e) {
            throw new IllegalStateException("unreadable reply: " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> properties(Message m) {
        Map<String, Object> headers = new HashMap<>();
        try {
            Enumeration<?> names = m.getPropertyNames();
            while (names.hasMoreElements()) {
                String name = (String) names.nextElement();
                if (name.startsWith("progdist")) {
                    headers.put(name, m.getObjectProperty(name));
                }
            }
        } catch (JMSException e) {
            throw new IllegalStateException("unreadable reply headers: " + e.getMessage(), e);
        }
        return headers;
    }

    private Message request(String deviceId, String kind, Object body, Map<String, Object> headers, Duration timeout) {
        DeviceQueues q = queues.get(deviceId);
        if (q == null) {
            throw new IllegalStateException("device " + deviceId + " is not in this fleet");
        }
        String correlation = UUID.randomUUID().toString();
        CompletableFuture<Message> reply = new CompletableFuture<>();
        pending.put(correlation, reply);
        try {
            Sender sender = borrow();
            try {
                Message m = converter.toMessage(body, sender.session());
                for (var h : headers.entrySet()) {
                    if (h.getValue() != null) {
                        m.setStringProperty(h.getKey(), h.getValue().toString());
                    }
                }
                m.setStringProperty(DeviceBusMessage.KIND_HEADER, kind);
                m.setStringProperty(DeviceBusMessage.DEVICE_HEADER, deviceId);
                m.setJMSCorrelationID(correlation);
                m.setJMSReplyTo(q.replies());
                // a request nobody took in time is worthless: it expires instead of waiting for a restarted TRP
                sender.producer().send(q.requests(), m,
                        DeliveryMode.NON_PERSISTENT, Message.DEFAULT_PRIORITY, timeout.toMillis());
            } finally {
                senders.offer(sender);
            }
            return reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new DeviceBus.NoAnswerException("no answer within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for TRP " + deviceId, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (JMSException e) {
            throw new IllegalStateException("cannot send to TRP " + deviceId + ": " + e.getMessage(), e);
        } finally {
            pending.remove(correlation);
        }
    }

    private Sender borrow() throws JMSException, InterruptedException {
        Sender s = senders.poll();
        if (s != null) {
            return s;
        }
        if (sendersMade.incrementAndGet() <= maxSenders) {
            Session session = gateway.createSession(false, Session.AUTO_ACKNOWLEDGE);
            return new Sender(session, session.createProducer(null));
        }
        sendersMade.decrementAndGet();
        return senders.take();
    }

    /** A new connection to this bus as the TRP of {@code deviceId} (its own bus user and secret). */
    Connection connectTrp(String deviceId) throws JMSException {
        return factory.createConnection(BusUsers.trpUser(deviceId),
                new String(secrets.getOrCreate(BusUsers.trpSecretName(deviceId))));
    }

    BusMessageConverter converter() {
        return converter;
    }

    @Override
    public void close() {
        try {
            gateway.close();
        } catch (JMSException e) {
            LOG.debug("Closing the fleet's gateway connection: {}", e.getMessage());
        }
        factory.close();
        broker.close();
    }
}
