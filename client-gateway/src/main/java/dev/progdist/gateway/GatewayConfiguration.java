package dev.progdist.gateway;

import dev.progdist.protocol.Home;
import dev.progdist.protocol.bus.EmbeddedBroker;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.jms.JmsComponent;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.service.ServiceSupport;
import org.springframework.jms.connection.CachingConnectionFactory;

/**
 * Wires the client gateway: the first-path client and session keeper, and the device bus (an
 * embedded broker on loopback unless an external one is configured). Needs a
 * {@link Credentials} bean named {@code gatewayCredentials} in the registry.
 */
public class GatewayConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        PropertiesComponent pc = context.getPropertiesComponent();
        Home home = Home.fromSetting(prop(pc, Home.PROPERTY));
        Credentials credentials = context.getRegistry().lookupByNameAndType("gatewayCredentials", Credentials.class);
        if (credentials == null) {
            throw new IllegalStateException("the gateway needs the user's credentials (gatewayCredentials)");
        }
        String trust = prop(pc, "progdist.gateway.trust-ca");
        Path trustPem = trust.isBlank() ? home.pkiDir().resolve("distribution-ca.crt") : Path.of(trust);
        Duration timeout = Duration.parse(prop(pc, "progdist.gateway.http-timeout"));
        FirstPathClient client = new FirstPathClient(URI.create(prop(pc, "progdist.gateway.server")), trustPem,
                timeout);
        SessionKeeper keeper = new SessionKeeper(client, credentials.userId(), credentials.secret(),
                Duration.parse(prop(pc, "progdist.gateway.refresh-margin")), Clock.systemUTC());

        String busUrl = prop(pc, "progdist.gateway.bus.url");
        if (busUrl.isBlank()) {
            String listen = prop(pc, "progdist.gateway.bus.listen");
            EmbeddedBroker bus = new EmbeddedBroker("progdist-device-bus",
                    Home.ensurePrivateDirectory(home.gatewayDir().resolve("bus")), 1, listen).start();
            context.addService(closing(bus::close));
            busUrl = "vm://1";
        }
        CachingConnectionFactory factory = new CachingConnectionFactory(new ActiveMQConnectionFactory(busUrl));
        context.addService(closing(factory::destroy));
        context.addComponent("jms", JmsComponent.jmsComponent(factory));
        // closed before the broker: services stop in reverse order of adding
        context.addService(closing(keeper::close));

        context.getRegistry().bind("firstPathClient", client);
        context.getRegistry().bind("sessionKeeper", keeper);
        DeviceBus deviceBus = new DeviceBus(context.createFluentProducerTemplate());
        context.getRegistry().bind("deviceBus", deviceBus);
        context.getRegistry().bind("channelRelay", new ChannelRelay(keeper, client, deviceBus));
    }

    private static String prop(PropertiesComponent pc, String key) {
        return pc.resolveProperty(key).map(String::strip).orElse("");
    }

    private static ServiceSupport closing(Runnable close) {
        return new ServiceSupport() {
            @Override
            protected void doStop() {
                close.run();
            }
        };
    }
}
