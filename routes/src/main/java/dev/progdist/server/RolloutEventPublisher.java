package dev.progdist.server;

import dev.progdist.processors.rollout.RolloutEvents;
import org.apache.camel.CamelContext;
import org.apache.camel.ExchangePattern;
import org.apache.camel.ProducerTemplate;

/**
 * The {@code rollout-events} route's bean: hands the outbox's pending events, in order, to the JMS
 * topic as text messages. An event leaves the outbox only once the broker accepted it; if the
 * broker refuses, the rest wait for the next tick.
 */
public class RolloutEventPublisher {

    private final RolloutEvents events;
    private final ProducerTemplate template;
    private final String endpoint;

    public RolloutEventPublisher(CamelContext context, RolloutEvents events, String topic) {
        this.events = events;
        this.template = context.createProducerTemplate();
        this.endpoint = "jms:topic:" + topic;
    }

    /** @return how many events were published */
    public int publishPending() {
        return events.publishPending(body -> template.sendBody(endpoint, ExchangePattern.InOnly, body));
    }
}
