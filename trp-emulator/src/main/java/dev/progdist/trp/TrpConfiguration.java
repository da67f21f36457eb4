package dev.progdist.trp;

import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.Home;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.jms.JmsComponent;
import org.apache.camel.spi.PropertiesComponent;
import org.springframework.jms.connection.CachingConnectionFactory;

/** Wires the TRP emulator: its identity store and its connection to the device bus. */
public class TrpConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        PropertiesComponent pc = context.getPropertiesComponent();
        Home home = Home.fromSetting(pc.resolveProperty(Home.PROPERTY).orElse(""));
        String device = DeviceId.require(pc.resolveProperty("progdist.trp.device").map(String::strip).orElse(""));
        TrpIdentityStore identity = TrpIdentityStore.open(home, device);
        String busUrl = pc.resolveProperty("progdist.trp.bus.url").orElseThrow();
        CachingConnectionFactory factory = new CachingConnectionFactory(new ActiveMQConnectionFactory(busUrl));
        context.addComponent("jms", JmsComponent.jmsComponent(factory));
        context.addService(new org.apache.camel.support.service.ServiceSupport() {
            @Override
            protected void doStop() {
                factory.destroy(); // close the bus connection cleanly so the broker sees us leave
            }
        });
        context.getRegistry().bind("trpIdentity", identity);
        InstalledPrograms installed = new InstalledPrograms(home, device);
        context.getRegistry().bind("trpStatusResponder",
                new TrpStatusResponder(identity, installed, new TrpChannel(identity, installed)));
    }
}
