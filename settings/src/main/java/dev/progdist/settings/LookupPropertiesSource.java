package dev.progdist.settings;

import java.util.function.Function;
import org.apache.camel.Ordered;
import org.apache.camel.spi.PropertiesSource;

/**
 * A Camel properties source that asks a function, key by key (JVM system properties, environment
 * variables). Its order places it among the component's other sources: lower is asked first.
 */
final class LookupPropertiesSource implements PropertiesSource, Ordered {

    private final String name;
    private final int order;
    private final Function<String, String> lookup;

    LookupPropertiesSource(String name, int order, Function<String, String> lookup) {
        this.name = name;
        this.order = order;
        this.lookup = lookup;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public String getProperty(String key) {
        return lookup.apply(key);
    }

    @Override
    public int getOrder() {
        return order;
    }

    @Override
    public String toString() {
        return name;
    }
}
