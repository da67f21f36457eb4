package dev.progdist.trp;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.wire.TrpStatus;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/** Answers device-bus requests with public facts about this TRP; never touches its private key. */
public class TrpStatusResponder {

    private final TrpIdentityStore identity;
    private final InstalledPrograms installed;

    public TrpStatusResponder(TrpIdentityStore identity, InstalledPrograms installed) {
        this.identity = identity;
        this.installed = installed;
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
