package dev.progdist.protocol.bus;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.ActivateCallback;
import org.apache.activemq.artemis.core.server.ActiveMQServer;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressFullMessagePolicy;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.activemq.artemis.spi.core.security.ActiveMQSecurityManager5;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded ActiveMQ Artemis broker with a persistent journal. Used by the distribution server
 * (its work queues, in-VM only) and by the client gateway (the device bus, on loopback TCP).
 *
 * <p>Every address gets a dead-letter address ({@code DLQ}) and a bounded number of delivery
 * attempts, because Artemis otherwise drops a message that keeps failing; large queues page to
 * disk instead of filling the heap.
 *
 * <p>A broker that accepts TCP clients must have a security manager (the device bus has
 * {@link DeviceBusSecurity}); only an in-VM-only broker may run without one. Artemis' built-in
 * cluster user, which bypasses every permission check, gets a random password per start.
 * {@link #onUnexpectedStop} tells the owner when the broker stops while nobody closed it.
 *
 * <p>Each broker takes an in-VM acceptor ID of its own ({@link #inVmUrl()}): several brokers in
 * one JVM (a fleet simulator, a test of the whole system) never compete for one, and a broker
 * left running holds only its own.
 */
public final class EmbeddedBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
    private static final java.util.concurrent.atomic.AtomicInteger NEXT_IN_VM_ID =
            new java.util.concurrent.atomic.AtomicInteger();

    private final EmbeddedActiveMQ broker = new EmbeddedActiveMQ();
    private final String name;
    private final int inVmId = NEXT_IN_VM_ID.getAndIncrement();
    private volatile boolean closing;
    private volatile Consumer<String> unexpectedStop;
    private BusMessageSizeLimit incoming;
    private AddressSettings addressSettings;

    /** With a TCP acceptor: the most bytes one address holds before it fails senders. */
    public static final long TCP_ADDRESS_BYTES = 64L * 1024 * 1024;
    /** With a TCP acceptor: the most messages one address holds before it fails senders. */
    public static final long TCP_ADDRESS_MESSAGES = 64;

    /**
     * @param name       broker name, for logs
     * @param dataDir    journal, bindings, paging and large-message directories go below it
     * @param tcpAcceptor a {@code tcp://host:port} URL to also accept TCP clients, or {@code null}
     */
    public EmbeddedBroker(String name, Path dataDir, String tcpAcceptor) {
        this(name, dataDir, tcpAcceptor, null, 0);
    }

    /**
     * @param security        who may connect and what each may do; {@code null} (security off) only
     *                        without a TCP acceptor
     * @param maxMessageBytes with a TCP acceptor: the largest message body a TCP client may send
     *                        ({@link BusMessageSizeLimit}); every address then holds at most
     *                        {@value #TCP_ADDRESS_MESSAGES} messages and {@value #TCP_ADDRESS_BYTES}
     *                        bytes and fails a sender beyond that instead of paging to disk.
     *                        Ignored (0) without a TCP acceptor: the server's durable work pages.
     */
    public EmbeddedBroker(String name, Path dataDir, String tcpAcceptor,
            ActiveMQSecurityManager5 security, long maxMessageBytes) {
        this.name = name;
        boolean tcp = tcpAcceptor != null && !tcpAcceptor.isBlank();
        if (tcp && security == null) {
            throw new IllegalArgumentException("broker " + name + ": a TCP acceptor needs a security manager");
        }
        try {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            Configuration config = new ConfigurationImpl()
                    .setName(name)
                    .setPersistenceEnabled(true)
                    .setSecurityEnabled(security != null)
                    // the cluster user skips every authorization check; its default password is public
                    .setClusterUser("progdist-no-cluster-" + name)
                    .setClusterPassword(Base64.getEncoder().encodeToString(random))
                    // Artemis keys its login cache by user and password only, not by connection: a
                    // manager that also looks at the connection (in-VM only users) must see every login
                    .setAuthenticationCacheSize(0)
                    .setJournalDirectory(dataDir.resolve("journal").toString())
                    .setBindingsDirectory(dataDir.resolve("bindings").toString())
                    .setPagingDirectory(dataDir.resolve("paging").toString())
                    .setLargeMessagesDirectory(dataDir.resolve("large-messages").toString())
                    .setJMXManagementEnabled(false)
                    // another process on the same journal: fail with a message instead of waiting forever
                    .setJournalLockAcquisitionTimeout(5_000)
                    .setGracefulShutdownEnabled(true)
                    // wait a little for clients to leave, never forever (a TRP may keep reconnecting)
                    .setGracefulShutdownTimeout(5_000)
                    .addAcceptorConfiguration("in-vm", "vm://" + inVmId);
            if (tcp && maxMessageBytes <= 0) {
                throw new IllegalArgumentException("broker " + name + ": a TCP acceptor needs a message size limit");
            }
            if (tcp) {
                // Artemis' core protocol only: no AMQP, STOMP, MQTT or OpenWire on the device bus
                config.addAcceptorConfiguration("tcp", tcpAcceptor.contains("protocols=") ? tcpAcceptor
                        : tcpAcceptor + (tcpAcceptor.contains("?") ? "&" : "?") + "protocols=CORE");
            }
            AddressSettings addresses = new AddressSettings()
                    .setDeadLetterAddress(SimpleString.of("DLQ"))
                    .setExpiryAddress(SimpleString.of("ExpiryQueue"))
                    .setMaxDeliveryAttempts(5)
                    .setAutoCreateDeadLetterResources(true)
                    .setAutoCreateExpiryResources(true);
            if (tcp) {
                // the device bus carries one request and one reply at a time per TRP: a full address
                // means someone floods it, so refuse the sender rather than page to disk without end
                BusMessageSizeLimit limit = new BusMessageSizeLimit(maxMessageBytes);
                config.registerBrokerPlugin(limit);
                incoming = limit;
                addresses.setAddressFullMessagePolicy(AddressFullMessagePolicy.FAIL)
                        .setMaxSizeBytes(Math.max(TCP_ADDRESS_BYTES, 4 * (maxMessageBytes + BusMessageSizeLimit.HEADER_ALLOWANCE)))
                        .setMaxSizeMessages(TCP_ADDRESS_MESSAGES);
            } else {
                // the server's durable work: page to disk beyond 64 MiB, never refuse
                addresses.setAddressFullMessagePolicy(AddressFullMessagePolicy.PAGE)
                        .setMaxSizeBytes(64L * 1024 * 1024);
            }
            config.addAddressSetting("#", addresses);
            addressSettings = addresses;
            broker.setConfiguration(config);
            if (security != null) {
                broker.setSecurityManager(security);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot configure broker " + name, e);
        }
    }

    /**
     * Before {@link #start()}: every queue starts with room for {@code messages} messages in its
     * intake buffer instead of Artemis' 8192 (32 KiB per queue, allocated at creation). For a bus
     * of many queues that each hold a message or two at a time: the fleet simulator's device bus,
     * two queues per device. The buffer still grows when needed.
     */
    public EmbeddedBroker initialQueueBuffer(int messages) {
        if (messages < 2 || Integer.bitCount(messages) != 1) {
            throw new IllegalArgumentException("the initial queue buffer must be a power of two of at least 2");
        }
        addressSettings.setInitialQueueBufferSize(messages);
        return this;
    }

    public EmbeddedBroker start() {
        try {
            broker.start();
            if (incoming != null) {
                broker.getActiveMQServer().getRemotingService().addIncomingInterceptor(incoming);
            }
            broker.getActiveMQServer().registerActivateCallback(new ActivateCallback() {
                @Override
                public void stop(ActiveMQServer server) {
                    stopped("stopped");
                }

                @Override
                public void shutdown(ActiveMQServer server) {
                    stopped("shut down");
                }
            });
            var remoting = broker.getActiveMQServer().getRemotingService();
            for (var acceptor : broker.getActiveMQServer().getConfiguration().getAcceptorConfigurations()) {
                var running = remoting.getAcceptor(acceptor.getName());
                if (running == null || !running.isStarted()) {
                    close();
                    throw new IllegalStateException("broker " + name + " cannot listen on " + acceptor.getParams()
                            + " (port in use?)");
                }
            }
            LOG.info("Broker '{}' started, acceptors {}", name,
                    broker.getActiveMQServer().getConfiguration().getAcceptorConfigurations().stream()
                            .map(a -> a.getName() + "=" + Map.copyOf(a.getParams())).toList());
            return this;
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start broker " + name + " (is another process using "
                    + "the same home?): " + e.getMessage(), e);
        }
    }

    /**
     * {@code listener} gets a one-line reason when the broker stops without {@link #close()}
     * (a management operation, a critical journal error, the critical analyzer).
     */
    public EmbeddedBroker onUnexpectedStop(Consumer<String> listener) {
        this.unexpectedStop = listener;
        return this;
    }

    private void stopped(String how) {
        Consumer<String> listener = unexpectedStop;
        if (!closing && listener != null) {
            listener.accept("broker '" + name + "' " + how + " while in use");
        }
    }

    /** The URL of this broker's in-VM acceptor, for clients in the same JVM. */
    public String inVmUrl() {
        return "vm://" + inVmId;
    }

    /** The running Artemis server, for tests and health checks. */
    public ActiveMQServer server() {
        return broker.getActiveMQServer();
    }

    public boolean isActive() {
        return broker.getActiveMQServer() != null && broker.getActiveMQServer().isActive();
    }

    @Override
    public void close() {
        closing = true;
        try {
            broker.stop();
        } catch (Exception e) {
            LOG.warn("Broker '{}' did not stop cleanly: {}", name, e.toString());
        }
    }
}
