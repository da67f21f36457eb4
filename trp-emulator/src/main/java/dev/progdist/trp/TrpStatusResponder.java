package dev.progdist.trp;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.wire.DeviceBusMessage;
import dev.progdist.protocol.wire.TrpStatus;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/** Answers device-bus requests with public facts about this TRP; never touches its private key. */
public class TrpStatusResponder {

    private final TrpIdentityStore identity;
    private final InstalledPrograms installed;
    private final TrpChannel channel;

    public TrpStatusResponder(TrpIdentityStore identity, InstalledPrograms installed, TrpChannel channel) {
        this.identity = identity;
        this.installed = installed;
        this.channel = channel;
    }

    /**
     * {@code channel-open}: starts a second path; the reply carries the ClientHello. With a
     * {@code progdistFetchProgram} header (and optional version and mode headers) the TRP fetches
     * that program once the server has authenticated it.
     */
    public void channelOpen(Exchange exchange) {
        Message m = exchange.getMessage();
        String program = m.getHeader(DeviceBusMessage.FETCH_PROGRAM_HEADER, String.class);
        TrpChannel.FetchRequest fetch = program == null ? null : new TrpChannel.FetchRequest(program,
                m.getHeader(DeviceBusMessage.FETCH_VERSION_HEADER, String.class), m.getHeader(DeviceBusMessage.FETCH_MODE_HEADER, String.class));
        replyRecords(m, channel.open(fetch));
    }

    /** {@code channel-records}: the server's records in, this TRP's records out. */
    public void channelRecords(Exchange exchange) {
        byte[] in = exchange.getMessage().getBody(byte[].class);
        if (in == null) {
            in = new byte[0];
        }
        // the body's size was bounded by progdist.trp.bus.max-message-bytes (BusMessageConverter)
        replyRecords(exchange.getMessage(), channel.receive(in));
    }

    private void replyRecords(Message message, byte[] records) {
        Object correlation = message.getHeader("JMSCorrelationID");
        message.removeHeaders("*", "JMS.*");
        message.setBody(records);
        channel.report().forEach(message::setHeader);
        if (correlation != null) {
            message.setHeader("JMSCorrelationID", correlation);
        }
    }

    public void status(Exchange exchange) throws JsonProcessingException {
        TrpStatus status = new TrpStatus(TrpStatus.VERSION, identity.deviceId(), identity.fingerprint(),
                identity.keyType().cliName(), installed.list());
        reply(exchange.getMessage(), Json.mapper().writeValueAsString(status));
    }

    public void unknownRequest(Exchange exchange) throws JsonProcessingException {
        reply(exchange.getMessage(), Json.mapper().writeValueAsString(
                Map.of("error", "unknown-request", "detail", "this TRP does not know that request kind")));
    }

    private static void reply(Message message, String json) {
        // keep only the JMS correlation headers camel-jms needs to answer; drop everything else
        Object correlation = message.getHeader("JMSCorrelationID");
        message.removeHeaders("*", "JMS.*");
        message.setBody(json);
        if (correlation != null) {
            message.setHeader("JMSCorrelationID", correlation);
        }
    }
}
