package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.progdist.gateway.DeviceBus;
import dev.progdist.protocol.bus.EmbeddedBroker;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.SecretSource;
import dev.progdist.server.CapturedLogs;
import jakarta.jms.Connection;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.ObjectMessage;
import jakarta.jms.Session;
import jakarta.jms.StreamMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, item 5: a Java object sent over the device bus is never deserialized, neither by a
 * real TRP emulator reading {@code trp.<id>.in} nor by the gateway reading a reply on
 * {@code trp.<id>.out}; the refusal is logged with the message type only, the refused message is
 * not redelivered, and the TRP goes on answering.
 */
class DeviceBusDeserializationTest {

    private static final char[] SECRET = "it-secret-0123456789".toCharArray();

    @TempDir
    static Path dir;
    static Fleet fleet;
    static DeviceBus bus;

    @BeforeAll
    static void start() throws Exception {
        fleet = Fleet.start(dir, "dora", SECRET, Map.of("ds-1", KeyType.EC_P256));
        bus = fleet.gatewayBean("deviceBus", DeviceBus.class);
        bus.awaitStatus("ds-1", Duration.ofSeconds(30), () -> { });
    }

    @AfterAll
    static void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    @BeforeEach
    void resetTripwire() {
        Tripwire.RAN.set(false);
    }

    /** What only the gateway may do: send to a TRP's request queue (in-VM, as user gateway). */
    private static Connection asGateway() throws Exception {
        // the names an outside TRP relies on (docs/protocol.md), spelled out
        char[] pw = new SecretSource(fleet.home, Map.of()).getOrCreate("bus-gateway");
        return new ActiveMQConnectionFactory(fleet.deviceBusInVmUrl()).createConnection("gateway", new String(pw));
    }

    /** A TRP's own login over loopback TCP. */
    private static Connection asTrp(String device) throws Exception {
        char[] pw = new SecretSource(fleet.home, Map.of()).getOrCreate("bus-trp-" + device);
        return new ActiveMQConnectionFactory("tcp://127.0.0.1:" + fleet.busPort)
                .createConnection("trp-" + device, new String(pw));
    }

    @Test
    void theTrpRefusesObjectMapAndStreamMessagesUnreadAndStillAnswers() throws Exception {
        try (CapturedLogs logs = new CapturedLogs(); Connection c = asGateway()) {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer p = s.createProducer(s.createQueue("trp.ds-1.in"));
            ObjectMessage object = s.createObjectMessage(new Tripwire());
            MapMessage map = s.createMapMessage();
            map.setString("k", "v");
            StreamMessage stream = s.createStreamMessage();
            stream.writeString("v");
            for (Message m : new Message[] {object, map, stream}) {
                m.setStringProperty("progdistKind", "status");
                m.setJMSReplyTo(s.createQueue("trp.ds-1.out"));
                p.send(m);
            }

            // the last one refused, or the first one's readObject ran
            await().atMost(Duration.ofSeconds(20)).until(() -> Tripwire.RAN.get()
                    || logs.all().contains("StreamMessage on ActiveMQQueue[trp.ds-1.in]"));
            assertThat(Tripwire.RAN).as("the TRP deserialized the ObjectMessage").isFalse();
            // the TRP still answers a normal request
            assertThat(bus.status("ds-1").deviceId()).isEqualTo("ds-1");
            String all = logs.all();
            assertThat(all).contains("Refused a JMS ObjectMessage on ActiveMQQueue[trp.ds-1.in]")
                    .contains("Refused a JMS MapMessage on ActiveMQQueue[trp.ds-1.in]");
            // refused once each, acknowledged, not redelivered, nothing left on the queue
            assertThat(count(all, "Refused a JMS ObjectMessage")).isEqualTo(1);
            EmbeddedBroker broker = fleet.gatewayBean("deviceBusBroker", EmbeddedBroker.class);
            assertThat(broker.server().locateQueue(SimpleString.of("trp.ds-1.in")).getMessageCount()).isZero();
        }
        assertThat(Tripwire.RAN).isFalse();
    }

    @Test
    void theGatewayRefusesAnObjectMessageAsReply() throws Exception {
        // a hostile TRP: it logs in as itself and answers the gateway's request with a Java object
        try (CapturedLogs logs = new CapturedLogs(); Connection c = asTrp("ds-hostile")) {
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer requests = s.createConsumer(s.createQueue("trp.ds-hostile.in"));
            CompletableFuture<?> asked = CompletableFuture.supplyAsync(() -> bus.status("ds-hostile"));
            Message request = requests.receive(20_000);
            assertThat(request).as("the gateway's status request").isNotNull();
            ObjectMessage reply = s.createObjectMessage(new Tripwire());
            reply.setJMSCorrelationID(request.getJMSCorrelationID());
            s.createProducer(request.getJMSReplyTo()).send(reply);

            assertThatThrownBy(() -> asked.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(IllegalStateException.class);
            assertThat(Tripwire.RAN).as("the gateway deserialized the reply").isFalse();
            assertThat(logs.all()).contains("Refused a JMS ObjectMessage on ActiveMQQueue[trp.ds-hostile.out]");
        }
        // the refused reply was acknowledged, not left for redelivery
        EmbeddedBroker broker = fleet.gatewayBean("deviceBusBroker", EmbeddedBroker.class);
        await().atMost(Duration.ofSeconds(10)).until(() ->
                broker.server().locateQueue(SimpleString.of("trp.ds-hostile.out")).getMessageCount() == 0);
        // the gateway still talks to its honest TRP
        assertThat(bus.status("ds-1").deviceId()).isEqualTo("ds-1");
        assertThat(Tripwire.RAN).isFalse();
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
