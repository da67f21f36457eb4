package dev.progdist.trp;

import dev.progdist.protocol.bus.BusMessageConverter;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Processor;

/**
 * The first step of the TRP's request route, before anything looks at a request: reads the body
 * through {@link BusMessageConverter}, which refuses anything but a BytesMessage or TextMessage
 * without reading it and logs the refusal (type and queue). A refused request gets no reply and
 * ends here; the listener acknowledges it, so it is dropped, not redelivered.
 *
 * <p>A processor, not a bean method: Camel's bean binding reads the body to bind parameters.
 */
public class TrpRequestAdmission implements Processor {

    @Override
    public void process(Exchange exchange) {
        try {
            exchange.getMessage().getBody();
        } catch (RuntimeException e) {
            if (!BusMessageConverter.isRefusal(e)) {
                throw e;
            }
            exchange.setPattern(ExchangePattern.InOnly);
            exchange.setRouteStop(true);
        }
    }
}
