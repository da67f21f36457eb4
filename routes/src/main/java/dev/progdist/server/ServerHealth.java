package dev.progdist.server;

import dev.progdist.processors.http.HttpExchanges;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.bus.EmbeddedBroker;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;

/**
 * {@code GET /health}: UP (200) when Camel, its routes, the database and the broker are all
 * usable, DOWN (503) otherwise, with one line per check. Reveals no configuration.
 */
public class ServerHealth {

    private final CamelContext context;
    private final Database database;
    private final EmbeddedBroker broker;

    public ServerHealth(CamelContext context, Database database, EmbeddedBroker broker) {
        this.context = context;
        this.database = database;
        this.broker = broker;
    }

    public void report(Exchange exchange) {
        Map<String, String> checks = new LinkedHashMap<>();
        checks.put("camel", context.isStarted() ? "UP" : "DOWN");
        checks.put("database", database.isReachable() ? "UP" : "DOWN");
        if (broker != null) {
            checks.put("broker", broker.isActive() ? "UP" : "DOWN");
        }
        for (HealthCheck.Result r : HealthCheckHelper.invoke(context)) {
            checks.put(r.getCheck().getGroup() == null ? r.getCheck().getId()
                    : r.getCheck().getGroup() + ":" + r.getCheck().getId(), r.getState().name());
        }
        boolean up = checks.values().stream().allMatch(s -> s.equals("UP") || s.equals("UNKNOWN"));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("checks", checks);
        HttpExchanges.replyJson(exchange, up ? 200 : 503, body);
    }
}
