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

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TrpConfiguration.class);

    /** {@code progdist.trp.fault} (empty: none) and its slow delay (ISO-8601), checked. */
    static TrpFaults faults(String fault, String slowDelay) {
        java.time.Duration delay;
        try {
            delay = java.time.Duration.parse(slowDelay);
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("progdist.trp.fault.slow-delay must be an ISO-8601 duration, not '"
                    + slowDelay + "'");
        }
        return new TrpFaults(fault.isBlank() ? null : TrpFault.parse(fault), delay);
    }

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
        TrpFaults faults = faults(AppSettings.setting(pc, "progdist.trp.fault"),
                AppSettings.setting(pc, "progdist.trp.fault.slow-delay"));
        if (faults.fault() != null) {
            LOG.warn("TRP {} runs with the simulated fault '{}' (progdist.trp.fault): it misbehaves on purpose",
                    device, faults.fault().label());
        }
        context.getRegistry().bind("trpStatusResponder",
                new TrpStatusResponder(identity, installed, new TrpChannel(identity, installed, faults)));
    }
}
