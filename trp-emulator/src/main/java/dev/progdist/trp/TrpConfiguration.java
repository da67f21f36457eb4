package dev.progdist.trp;

import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.bus.BusConnections;
import dev.progdist.protocol.bus.BusMessageConverter;
import dev.progdist.protocol.bus.BusUsers;
import dev.progdist.protocol.keys.SecretSource;
import dev.progdist.settings.AppSettings;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.jms.JmsComponent;
import org.apache.camel.spi.PropertiesComponent;
import org.springframework.jms.connection.CachingConnectionFactory;

/**
 * Wires the TRP emulator: its identity store and its connection to the device bus, as bus user
 * {@code trp-<device>} with the secret {@code bus-trp-<device>} (created here if the gateway has
 * not yet done so; both use the same home). Only bytes and text cross the bus
 * ({@link BusMessageConverter}); Java deserialization is denied on the connection factory.
 */
public class TrpConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        PropertiesComponent pc = context.getPropertiesComponent();
        // every setting has its default in trp.properties
        Home home = Home.fromSetting(AppSettings.setting(pc, Home.PROPERTY));
        String device = DeviceId.require(AppSettings.setting(pc, "progdist.trp.device"));
        TrpIdentityStore identity = TrpIdentityStore.open(home, device);
        String busUrl = AppSettings.requiredSetting(pc, "progdist.trp.bus.url");
        char[] busSecret = new SecretSource(home).getOrCreate(BusUsers.trpSecretName(device));
        CachingConnectionFactory factory = new CachingConnectionFactory(
                BusConnections.factory(busUrl, BusUsers.trpUser(device), busSecret));
        JmsComponent jms = JmsComponent.jmsComponent(factory);
        jms.getConfiguration().setMessageConverter(new BusMessageConverter(
                Long.parseLong(AppSettings.requiredSetting(pc, "progdist.trp.bus.max-message-bytes"))));
        context.addComponent("jms", jms);
        context.getRegistry().bind("trpRequestAdmission", new TrpRequestAdmission());
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
