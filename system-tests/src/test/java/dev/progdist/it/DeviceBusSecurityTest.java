package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.gateway.DeviceBus;
import dev.progdist.protocol.bus.EmbeddedBroker;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.SecretSource;
import jakarta.jms.Connection;
import jakarta.jms.JMSSecurityException;
import jakarta.jms.Message;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.management.ResourceNames;
import org.apache.activemq.artemis.api.jms.management.JMSManagementHelper;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, item 7: the device bus authenticates every client and authorizes by user and address.
 * A TRP may use only its own two queues, only the gateway's in-VM client may address TRPs, nobody
 * may manage the broker (the {@code forceFailover} that used to stop it is refused and the broker
 * keeps running), and the normal status flow works. The names used here are the documented ones
 * (docs/protocol.md, "Device bus credentials"), spelled out on purpose.
 */
class DeviceBusSecurityTest {

    private static final char[] SECRET = "it-secret-0123456789".toCharArray();

    @TempDir
    static Path dir;
    static Fleet fleet;
    static DeviceBus bus;
    static EmbeddedBroker broker;

    @BeforeAll
    static void start() throws Exception {
        fleet = Fleet.start(dir, "erin", SECRET, Map.of("bs-1", KeyType.EC_P256, "bs-2", KeyType.EC_P256));
        bus = fleet.gatewayBean("deviceBus", DeviceBus.class);
        broker = fleet.gatewayBean("deviceBusBroker", EmbeddedBroker.class);
        bus.awaitStatus("bs-1", Duration.ofSeconds(30), () -> { });
        bus.awaitStatus("bs-2", Duration.ofSeconds(30), () -> { });
    }

    @AfterAll
    static void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    private static ActiveMQConnectionFactory tcp() {
        return new ActiveMQConnectionFactory("tcp://127.0.0.1:" + fleet.busPort + "?reconnectAttempts=0");
    }

    private static String secretOf(String name) {
        return new String(new SecretSource(fleet.home, Map.of()).getOrCreate(name));
    }

    private static Connection asTrp(String device) throws Exception {
        return tcp().createConnection("trp-" + device, secretOf("bus-trp-" + device));
    }

    @Test
    void theNormalStatusFlowWorksForEveryTrp() {
        assertThat(bus.status("bs-1").deviceId()).isEqualTo("bs-1");
        assertThat(bus.status("bs-2").deviceId()).isEqualTo("bs-2");
        assertThat(new SecretSource(fleet.home, Map.of()).file("bus-trp-bs-1")).isRegularFile();
    }

    @Test
    void aClientWithoutCredentialsCannotConnect() {
        assertThatThrownBy(() -> tcp().createConnection().close()).isInstanceOf(JMSSecurityException.class);
    }

    @Test
    void aWrongPasswordCannotConnect() {
        assertThatThrownBy(() -> tcp().createConnection("trp-bs-1", "wrong-password").close())
                .isInstanceOf(JMSSecurityException.class);
        // another device's secret is a wrong password too
        assertThatThrownBy(() -> tcp().createConnection("trp-bs-1", secretOf("bus-trp-bs-2")).close())
                .isInstanceOf(JMSSecurityException.class);
        // a device without a secret, an unknown user
        assertThatThrownBy(() -> tcp().createConnection("trp-nobody", "").close())
                .isInstanceOf(JMSSecurityException.class);
        assertThatThrownBy(() -> tcp().createConnection("admin", "admin").close())
                .isInstanceOf(JMSSecurityException.class);
        // Artemis' cluster user bypasses every permission check; its well-known default must not work
        assertThatThrownBy(() -> tcp().createConnection("ACTIVEMQ.CLUSTER.ADMIN.USER", "CHANGE ME!!").close())
                .isInstanceOf(JMSSecurityException.class);
        // the gateway's own user, even with its password, only from inside the gateway
        assertThatThrownBy(() -> tcp().createConnection("gateway", secretOf("bus-gateway")).close())
                .isInstanceOf(JMSSecurityException.class);
    }

    @Test
    void aTrpMayUseOnlyItsOwnQueues() throws Exception {
        try (Connection c = asTrp("bs-1")) {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            // not another TRP's requests or replies
            assertThatThrownBy(() -> s.createConsumer(s.createQueue("trp.bs-2.in")))
                    .isInstanceOf(JMSSecurityException.class);
            assertThatThrownBy(() -> s.createConsumer(s.createQueue("trp.bs-2.out")))
                    .isInstanceOf(JMSSecurityException.class);
            assertThatThrownBy(() -> send(s, "trp.bs-2.out")).isInstanceOf(JMSSecurityException.class);
            // not the gateway's side of its own pair: no requests to itself or to its queue's readers
            assertThatThrownBy(() -> send(s, "trp.bs-1.in")).isInstanceOf(JMSSecurityException.class);
            assertThatThrownBy(() -> s.createConsumer(s.createQueue("trp.bs-1.out")))
                    .isInstanceOf(JMSSecurityException.class);
            // no addresses of its own making, inside trp.* or outside
            assertThatThrownBy(() -> send(s, "progdist.elsewhere")).isInstanceOf(JMSSecurityException.class);
            assertThatThrownBy(() -> s.createConsumer(s.createQueue("trp.bs-1.in.extra")))
                    .isInstanceOf(JMSSecurityException.class);
            assertThatThrownBy(() -> s.createConsumer(s.createQueue("trp.bs-1.in::sidecar")))
                    .isInstanceOf(JMSSecurityException.class);
            assertThatThrownBy(() -> s.createBrowser(s.createQueue("trp.bs-1.in")).getEnumeration())
                    .isInstanceOf(JMSSecurityException.class);
        }
        for (String address : new String[] {"progdist.elsewhere", "trp.bs-1.in.extra"}) {
            assertThat(broker.server().getPostOffice().getAddressInfo(SimpleString.of(address))).as(address).isNull();
        }
        // its own pair still works
        assertThat(bus.status("bs-1").deviceId()).isEqualTo("bs-1");
    }

    @Test
    void nobodyMayManageTheBrokerAndForceFailoverLeavesItRunning() throws Exception {
        for (boolean gatewayUser : new boolean[] {false, true}) {
            Connection c = gatewayUser
                    ? new ActiveMQConnectionFactory(fleet.deviceBusInVmUrl()).createConnection("gateway", secretOf("bus-gateway"))
                    : asTrp("bs-1");
            try (c) {
                Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
                Message failover = s.createMessage();
                JMSManagementHelper.putOperationInvocation(failover, ResourceNames.BROKER, "forceFailover");
                MessageProducer p = s.createProducer(s.createQueue("activemq.management"));
                assertThatThrownBy(() -> p.send(failover)).as("forceFailover as gateway=" + gatewayUser)
                        .isInstanceOf(JMSSecurityException.class);
                Message list = s.createMessage();
                JMSManagementHelper.putOperationInvocation(list, ResourceNames.BROKER, "listConnectionIDs");
                assertThatThrownBy(() -> p.send(list)).isInstanceOf(JMSSecurityException.class);
                // nor listen to the broker's notifications (every login and queue)
                assertThatThrownBy(() -> s.createConsumer(s.createTopic("activemq.notifications")))
                        .isInstanceOf(JMSSecurityException.class);
            }
        }
        assertThat(broker.isActive()).isTrue();
        assertThat(fleet.gatewayExits).isEmpty();
        assertThat(bus.status("bs-2").deviceId()).isEqualTo("bs-2");
    }

    private static void send(Session s, String queue) throws Exception {
        // persistent: the send waits for the broker's answer, so a refusal surfaces here
        s.createProducer(s.createQueue(queue)).send(s.createTextMessage("{}"));
    }
}
