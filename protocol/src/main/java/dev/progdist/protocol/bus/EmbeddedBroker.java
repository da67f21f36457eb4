package dev.progdist.protocol.bus;

import java.nio.file.Path;
import java.util.Map;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressFullMessagePolicy;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded ActiveMQ Artemis broker with a persistent journal. Used by the distribution server
 * (its work queues, in-VM only) and by the client gateway (the device bus, on loopback TCP).
 *
 * <p>Every address gets a dead-letter address ({@code DLQ}) and a bounded number of delivery
 * attempts, because Artemis otherwise drops a message that keeps failing; large queues page to
 * disk instead of filling the heap.
 */
public final class EmbeddedBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);

    private final EmbeddedActiveMQ broker = new EmbeddedActiveMQ();
    private final String name;

    /**
     * @param name       broker name, for logs
     * @param dataDir    journal, bindings, paging and large-message directories go below it
     * @param inVmId     the in-VM acceptor id ({@code vm://<id>}); distinct per broker in one JVM
     * @param tcpAcceptor a {@code tcp://host:port} URL to also accept TCP clients, or {@code null}
     */
    public EmbeddedBroker(String name, Path dataDir, int inVmId, String tcpAcceptor) {
        this.name = name;
        try {
            Configuration config = new ConfigurationImpl()
                    .setName(name)
                    .setPersistenceEnabled(true)
                    .setSecurityEnabled(false)
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
            if (tcpAcceptor != null && !tcpAcceptor.isBlank()) {
                config.addAcceptorConfiguration("tcp", tcpAcceptor);
            }
            config.addAddressSetting("#", new AddressSettings()
                    .setDeadLetterAddress(SimpleString.of("DLQ"))
                    .setExpiryAddress(SimpleString.of("ExpiryQueue"))
                    .setMaxDeliveryAttempts(5)
                    .setAutoCreateDeadLetterResources(true)
                    .setAutoCreateExpiryResources(true)
                    .setAddressFullMessagePolicy(AddressFullMessagePolicy.PAGE)
                    .setMaxSizeBytes(64L * 1024 * 1024));
            broker.setConfiguration(config);
        } catch (Exception e) {
            throw new IllegalStateException("cannot configure broker " + name, e);
        }
    }

    public EmbeddedBroker start() {
        try {
            broker.start();
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

    public boolean isActive() {
        return broker.getActiveMQServer() != null && broker.getActiveMQServer().isActive();
    }

    @Override
    public void close() {
        try {
            broker.stop();
        } catch (Exception e) {
            LOG.warn("Broker '{}' did not stop cleanly: {}", name, e.toString());
        }
    }
}
