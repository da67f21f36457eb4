package dev.progdist.protocol.bus;

import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.keys.SecretSource;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Function;
import javax.security.auth.Subject;
import org.apache.activemq.artemis.core.remoting.impl.invm.InVMConnection;
import org.apache.activemq.artemis.core.security.CheckType;
import org.apache.activemq.artemis.core.security.Role;
import org.apache.activemq.artemis.spi.core.protocol.RemotingConnection;
import org.apache.activemq.artemis.spi.core.security.ActiveMQSecurityManager5;
import org.apache.activemq.artemis.spi.core.security.jaas.UserPrincipal;
import org.apache.activemq.artemis.utils.CompositeAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may do what on the device bus, by user and address, with no JAAS files and no role
 * configuration:
 *
 * <ul>
 *   <li>{@code gateway} (the gateway's own client, accepted only over the in-VM acceptor)
 *       sends to {@code trp.<id>.in}, consumes {@code trp.<id>.out} and creates those two queues,
 *       for any valid device ID;</li>
 *   <li>{@code trp-<id>} (one TRP) consumes only {@code trp.<id>.in}, sends only to
 *       {@code trp.<id>.out} and may create only those two;</li>
 *   <li>nobody may manage the broker, read its notifications, browse, delete, or touch any other
 *       address (no auto-created addresses outside {@code trp.*}).</li>
 * </ul>
 *
 * <p>Users and secrets are named by {@link BusUsers}. A TRP's password is the secret
 * {@code bus-trp-<id>} of {@link SecretSource}
 * ({@code PROGDIST_BUS_TRP_<ID>_PASSWORD} or {@code secrets/bus-trp-<id>.password} in the shared
 * home), read at each authentication; passwords are compared in constant time.
 */
public final class DeviceBusSecurity implements ActiveMQSecurityManager5 {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceBusSecurity.class);

    private static final String GATEWAY_USER = BusUsers.GATEWAY_USER;

    private static final Set<CheckType> CREATE = Set.of(CheckType.CREATE_ADDRESS, CheckType.CREATE_DURABLE_QUEUE);

    private final char[] gatewaySecret;
    private final Function<String, char[]> trpSecrets;

    /**
     * @param gatewaySecret the password of {@value #GATEWAY_USER}
     * @param trpSecrets    a device's bus password by device ID, or {@code null} when it has none
     */
    public DeviceBusSecurity(char[] gatewaySecret, Function<String, char[]> trpSecrets) {
        this.gatewaySecret = gatewaySecret.clone();
        this.trpSecrets = trpSecrets;
    }

    /** Reads TRP passwords from {@code secrets} (never creates one). */
    public DeviceBusSecurity(char[] gatewaySecret, SecretSource secrets) {
        this(gatewaySecret, device -> secrets.find(BusUsers.trpSecretName(device)));
    }

    @Override
    public Subject authenticate(String user, String password, RemotingConnection connection, String securityDomain) {
        if (user == null || password == null) {
            LOG.warn("Device bus: refused a connection without credentials from {}", remote(connection));
            return null;
        }
        char[] expected;
        if (GATEWAY_USER.equals(user)) {
            if (connection == null || !(connection.getTransportConnection() instanceof InVMConnection)) {
                LOG.warn("Device bus: refused user {} from {}: it may connect only inside the gateway", user,
                        remote(connection));
                return null;
            }
            expected = gatewaySecret;
        } else if (BusUsers.deviceOfUser(user) != null) {
            expected = trpSecrets.apply(BusUsers.deviceOfUser(user));
        } else {
            expected = null;
        }
        boolean ok = expected != null && sameSecret(password, expected);
        if (!ok) {
            // the user name is checked above to be one of ours or is not echoed; never the password
            LOG.warn("Device bus: refused a login from {}: unknown user or wrong password{}", remote(connection),
                    expected == null ? "" : " for " + user);
            return null;
        }
        Subject subject = new Subject();
        subject.getPrincipals().add(new UserPrincipal(user));
        return subject;
    }

    @Override
    public boolean authorize(Subject subject, Set<Role> roles, CheckType checkType, String address) {
        String user = subject == null ? null : subject.getPrincipals(UserPrincipal.class).stream()
                .map(UserPrincipal::getName).findFirst().orElse(null);
        boolean allowed = user != null && address != null && allowed(user, checkType, address);
        if (!allowed) {
            LOG.warn("Device bus: refused {} on {} for {}", checkType, printable(address), user);
        }
        return allowed;
    }

    static boolean allowed(String user, CheckType checkType, String target) {
        String address = target;
        if (CompositeAddress.isFullyQualified(target)) {
            address = CompositeAddress.extractAddressName(target);
            // a JMS queue is the anycast queue of the same name: no extra queues on our addresses
            if (!address.equals(CompositeAddress.extractQueueName(target))) {
                return false;
            }
        }
        String device = deviceOf(address);
        if (device == null) {
            return false;
        }
        boolean in = address.endsWith(".in");
        if (GATEWAY_USER.equals(user)) {
            return CREATE.contains(checkType) || (in ? checkType == CheckType.SEND : checkType == CheckType.CONSUME);
        }
        if (device.equals(BusUsers.deviceOfUser(user))) {
            return CREATE.contains(checkType) || (in ? checkType == CheckType.CONSUME : checkType == CheckType.SEND);
        }
        return false;
    }

    /** The device of {@code trp.<id>.in} or {@code trp.<id>.out}, else {@code null}. */
    static String deviceOf(String address) {
        if (!address.startsWith("trp.")) {
            return null;
        }
        String rest = address.substring(4);
        String device;
        if (rest.endsWith(".in")) {
            device = rest.substring(0, rest.length() - 3);
        } else if (rest.endsWith(".out")) {
            device = rest.substring(0, rest.length() - 4);
        } else {
            return null;
        }
        return DeviceId.isValid(device) ? device : null;
    }

    /** Equal in constant time: both sides hashed to a fixed length first. */
    static boolean sameSecret(String given, char[] expected) {
        byte[] a = sha256(given.toCharArray());
        byte[] b = sha256(expected);
        return MessageDigest.isEqual(a, b) && expected.length > 0;
    }

    private static byte[] sha256(char[] secret) {
        var buffer = StandardCharsets.UTF_8.encode(CharBuffer.wrap(secret));
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    private static String remote(RemotingConnection connection) {
        return connection == null ? "?" : connection.getRemoteAddress();
    }

    private static String printable(String address) {
        if (address == null) {
            return "null";
        }
        String cut = address.length() > 100 ? address.substring(0, 100) + "…" : address;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    // Artemis calls authenticate/authorize above instead of these; refuse should anything else call them

    @Override
    public boolean validateUser(String user, String password) {
        return false;
    }

    @Override
    public boolean validateUserAndRole(String user, String password, Set<Role> roles, CheckType checkType) {
        return false;
    }
}
