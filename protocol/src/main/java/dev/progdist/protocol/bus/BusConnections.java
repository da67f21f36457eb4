package dev.progdist.protocol.bus;

import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.activemq.artemis.utils.ObjectInputStreamWithClassLoader;

/**
 * Every JMS connection factory progdist creates comes from here: Java deserialization of
 * {@code ObjectMessage} bodies is denied for every class, on the factory and JVM-wide.
 * progdist never sends Java objects over JMS ({@link BusMessageConverter} refuses them unread);
 * this is the second line should anything call {@code getObject()} anyway.
 */
public final class BusConnections {

    /** Artemis' deny list: a class on it is refused before its {@code readObject} runs. */
    public static final String DENY_ALL = ObjectInputStreamWithClassLoader.CATCH_ALL_WILDCARD;

    private BusConnections() {
    }

    /** A factory for {@code url} that authenticates as {@code user}; deserialization denied. */
    public static ActiveMQConnectionFactory factory(String url, String user, char[] password) {
        ActiveMQConnectionFactory factory = factory(url);
        factory.setUser(user);
        factory.setPassword(new String(password));
        return factory;
    }

    /** A factory for {@code url} without credentials (the server's in-VM broker); deserialization denied. */
    public static ActiveMQConnectionFactory factory(String url) {
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(url);
        // without it every session.createQueue(name), which Spring's JmsTemplate calls on every send,
        // asks the broker whether the queue exists, and the broker answers by scanning all its
        // addresses: measured as 16 % of a 1,000-device fleet's CPU, growing with the device count
        factory.setCacheDestinations(true);
        factory.setDeserializationDenyList(DENY_ALL);
        factory.setDeserializationAllowList("");
        return factory;
    }

    /**
     * Denies Artemis deserialization for the whole JVM (every {@code ObjectMessage} read through
     * any factory, also one progdist did not create). Called by the command line at start.
     */
    public static void denyDeserializationJvmWide() {
        System.setProperty(ObjectInputStreamWithClassLoader.DENYLIST_PROPERTY, DENY_ALL);
        System.clearProperty(ObjectInputStreamWithClassLoader.ALLOWLIST_PROPERTY);
        System.clearProperty(ObjectInputStreamWithClassLoader.WHITELIST_PROPERTY);
    }
}
