package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.progdist.gateway.DeviceBus;
import dev.progdist.protocol.bus.EmbeddedBroker;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.SecretSource;
import dev.progdist.server.CapturedLogs;
import jakarta.jms.BytesMessage;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device bus bounds a message's size (progdist.gateway.bus.max-message-bytes,
 * progdist.trp.bus.max-message-bytes, default 4 456 448 bytes): a larger request is refused by the
 * TRP unread and the TRP goes on answering; a larger reply from a TRP never reaches the gateway,
 * whether sent as an Artemis large message or as one frame, and the gateway's request fails; a
 * reply of exactly the limit still arrives.
 */
class DeviceBusSizeLimitTest {

    private static final char[] SECRET = "it-secret-0123456789".toCharArray();
    private static final int LIMIT = 4_456_448;

    @TempDir
    static Path dir;
    static Fleet fleet;
    static DeviceBus bus;

    @BeforeAll
    static void start() throws Exception {
        fleet = Fleet.start(dir, "sara", SECRET, Map.of("sz-1", KeyType.EC_P256),
                Map.of("progdist.gateway.bus.request-timeout", "5000",
                        "progdist.gateway.bus.channel-step-timeout", "5000"));
        bus = fleet.gatewayBean("deviceBus", DeviceBus.class);
        bus.awaitStatus("sz-1", Duration.ofSeconds(30), () -> { });
    }

    @AfterAll
    static void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    private static Connection asGateway() throws Exception {
        char[] pw = new SecretSource(fleet.home, Map.of()).getOrCreate("bus-gateway");
        return new ActiveMQConnectionFactory(fleet.deviceBusInVmUrl()).createConnection("gateway", new String(pw));
    }

    private static Connection asTrp(String device, boolean oneFrame) throws Exception {
        char[] pw = new SecretSource(fleet.home, Map.of()).getOrCreate("bus-trp-" + device);
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + fleet.busPort);
        if (oneFrame) {
            f.setMinLargeMessageSize(64 * 1024 * 1024); // the whole message in one core frame
        }
        return f.createConnection("trp-" + device, new String(pw));
    }

    private static EmbeddedBroker broker() {
        return fleet.gatewayBean("deviceBusBroker", EmbeddedBroker.class);
    }

    @Test
    void theTrpRefusesAnOversizedRequestUnreadAndStillAnswers() throws Exception {
        try (CapturedLogs logs = new CapturedLogs(); Connection c = asGateway()) {
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer p = s.createProducer(s.createQueue("trp.sz-1.in"));
            BytesMessage big = s.createBytesMessage();
            big.writeBytes(new byte[LIMIT + 1]);
            big.setStringProperty("progdistKind", "channel-records");
            big.setJMSReplyTo(s.createQueue("trp.sz-1.out"));
            p.send(big);

            await().atMost(Duration.ofSeconds(20)).until(() -> logs.all().contains(
                    "Refused a JMS BytesMessage of " + (LIMIT + 1) + " bytes on ActiveMQQueue[trp.sz-1.in]"));
            assertThat(bus.status("sz-1").deviceId()).isEqualTo("sz-1");
            assertThat(broker().server().locateQueue(SimpleString.of("trp.sz-1.in")).getMessageCount()).isZero();
        }
    }

    @Test
    void anOversizedLargeMessageReplyIsRefusedByTheBroker() throws Exception {
        oversizedReplyIsRefused("sz-large", false);
    }

    @Test
    void anOversizedOneFrameReplyIsRefusedByTheBroker() throws Exception {
        oversizedReplyIsRefused("sz-frame", true);
    }

    private void oversizedReplyIsRefused(String device, boolean oneFrame) throws Exception {
        try (CapturedLogs logs = new CapturedLogs(); Connection c = asTrp(device, oneFrame)) {
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer requests = s.createConsumer(s.createQueue("trp." + device + ".in"));
            CompletableFuture<?> asked = CompletableFuture.supplyAsync(() -> bus.status(device));
            Message request = requests.receive(20_000);
            assertThat(request).as("the gateway's status request").isNotNull();
            BytesMessage reply = s.createBytesMessage();
            reply.writeBytes(new byte[LIMIT + 1]);
            reply.setJMSCorrelationID(request.getJMSCorrelationID());
            try {
                s.createProducer(request.getJMSReplyTo()).send(reply);
            } catch (jakarta.jms.JMSException expected) {
                // the broker closed this connection
            }
            assertThatThrownBy(() -> asked.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(IllegalStateException.class);
            assertThat(logs.all()).contains("Device bus: refused a message of more than " + LIMIT + " bytes");
        }
        assertThat(broker().server().locateQueue(SimpleString.of("trp." + device + ".out")).getMessageCount())
                .isZero();
        assertThat(bus.status("sz-1").deviceId()).isEqualTo("sz-1");
    }

    @Test
    void aReplyOfExactlyTheLimitArrives() throws Exception {
        try (Connection c = asTrp("sz-edge", false)) {
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer requests = s.createConsumer(s.createQueue("trp.sz-edge.in"));
            CompletableFuture<DeviceBus.ChannelStep> step = CompletableFuture.supplyAsync(
                    () -> bus.channel("sz-edge", "channel-records", new byte[LIMIT]));
            Message request = requests.receive(20_000);
            assertThat(request).isNotNull();
            assertThat(((BytesMessage) request).getBodyLength()).isEqualTo(LIMIT);
            BytesMessage reply = s.createBytesMessage();
            reply.writeBytes(new byte[LIMIT]);
            reply.setJMSCorrelationID(request.getJMSCorrelationID());
            s.createProducer(request.getJMSReplyTo()).send(reply);
            assertThat(step.get(30, TimeUnit.SECONDS).records()).hasSize(LIMIT);
        }
    }
}
