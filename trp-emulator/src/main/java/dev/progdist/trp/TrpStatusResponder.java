package dev.progdist.trp;

import dev.progdist.protocol.wire.DeviceBusMessage;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Message;

/**
 * The TRP process's route beans: answers device-bus requests through {@link TrpRequestHandler}
 * (public facts, the second path); never touches the TRP's private key itself. When the handler
 * answers nothing (a vanished TRP), no reply is sent.
 */
public class TrpStatusResponder {

    private final TrpRequestHandler handler;

    public TrpStatusResponder(TrpIdentityStore identity, InstalledPrograms installed, TrpChannel channel) {
        this.handler = new TrpRequestHandler(identity, installed, channel);
    }

    /**
     * {@code channel-open}: starts a second path; the reply carries the ClientHello. With a
     * {@code progdistFetchProgram} header (and optional version and mode headers) the TRP fetches
     * that program once the server has authenticated it.
     */
    public void channelOpen(Exchange exchange) {
        Message m = exchange.getMessage();
        if (silent(exchange)) {
            return;
        }
        reply(exchange, handler.channelOpen(m.getHeader(DeviceBusMessage.FETCH_PROGRAM_HEADER, String.class),
                m.getHeader(DeviceBusMessage.FETCH_VERSION_HEADER, String.class),
                m.getHeader(DeviceBusMessage.FETCH_MODE_HEADER, String.class)));
    }

    /** {@code channel-records}: the server's records in, this TRP's records out. */
    public void channelRecords(Exchange exchange) {
        if (silent(exchange)) {
            return;
        }
        byte[] in = exchange.getMessage().getBody(byte[].class);
        // the body's size was bounded by progdist.trp.bus.max-message-bytes (BusMessageConverter)
        reply(exchange, handler.channelRecords(in == null ? new byte[0] : in));
    }

    public void status(Exchange exchange) {
        if (!silent(exchange)) {
            reply(exchange, Optional.of(new TrpRequestHandler.Reply(handler.status(), java.util.Map.of())));
        }
    }

    public void unknownRequest(Exchange exchange) {
        if (!silent(exchange)) {
            reply(exchange, Optional.of(new TrpRequestHandler.Reply(handler.unknownRequest(), java.util.Map.of())));
        }
    }

    /** A vanished TRP: no reply at all (camel-jms answers only InOut exchanges). */
    private boolean silent(Exchange exchange) {
        if (!handler.silent()) {
            return false;
        }
        exchange.setPattern(ExchangePattern.InOnly);
        exchange.setRouteStop(true);
        return true;
    }

    private static void reply(Exchange exchange, Optional<TrpRequestHandler.Reply> reply) {
        if (reply.isEmpty()) {
            exchange.setPattern(ExchangePattern.InOnly);
            exchange.setRouteStop(true);
            return;
        }
        // keep only the JMS correlation headers camel-jms needs to answer; drop everything else
        Message message = exchange.getMessage();
        Object correlation = message.getHeader("JMSCorrelationID");
        message.removeHeaders("*", "JMS.*");
        message.setBody(reply.get().body());
        reply.get().headers().forEach(message::setHeader);
        if (correlation != null) {
            message.setHeader("JMSCorrelationID", correlation);
        }
    }
}
