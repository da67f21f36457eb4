package dev.progdist.server;

import dev.progdist.processors.store.AuditTrail;
import dev.progdist.protocol.json.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.ExchangePattern;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes audit events as persistent JSON text messages on the broker; the {@code audit-log}
 * route writes them to the database. A request does not wait for the database, and an event
 * accepted by the broker survives a restart.
 */
public class JmsAuditTrail implements AuditTrail {

    private static final Logger LOG = LoggerFactory.getLogger(JmsAuditTrail.class);

    private final CamelContext context;
    private final String endpoint;
    private volatile ProducerTemplate template;

    public JmsAuditTrail(CamelContext context, String endpoint) {
        this.context = context;
        this.endpoint = endpoint;
    }

    @Override
    public void record(String event, String actor, String subject, String detail) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("event", event);
        body.put("actor", actor);
        body.put("subject", subject);
        body.put("detail", detail);
        try {
            template().sendBody(endpoint, ExchangePattern.InOnly, Json.mapper().writeValueAsString(body));
        } catch (Exception e) {
            // an audit outage must not turn a refusal into an internal error; it is logged loudly
            LOG.error("Audit event {} for {} not queued: {}", event, subject, e.toString());
        }
    }

    private ProducerTemplate template() {
        ProducerTemplate t = template;
        if (t == null) {
            synchronized (this) {
                if (template == null) {
                    template = context.createProducerTemplate();
                }
                t = template;
            }
        }
        return t;
    }
}
