package dev.progdist.gateway;

import dev.progdist.protocol.Home;
import dev.progdist.protocol.bus.BusConnections;
import dev.progdist.protocol.bus.BusMessageConverter;
import dev.progdist.protocol.bus.BusUsers;
import dev.progdist.protocol.bus.DeviceBusSecurity;
import dev.progdist.protocol.bus.EmbeddedBroker;
import dev.progdist.protocol.keys.SecretSource;
import dev.progdist.settings.AppSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.jms.JmsComponent;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jms.connection.CachingConnectionFactory;

/**
 * Wires the client gateway: the first-path client and session keeper, and the device bus (an
 * embedded broker on loopback unless an external one is configured). Needs a
 * {@link Credentials} bean named {@code gatewayCredentials} in the registry, and takes a
 * {@link GatewayExit} named {@code gatewayExit} (default: exit the JVM).
 *
 * <p>The embedded device bus runs with {@link DeviceBusSecurity}: the gateway's client is user
 * {@code gateway} over in-VM, each TRP is {@code trp-<device>} with its own secret, which the
 * gateway creates when it first addresses that device (the TRP creates it likewise at start, in
 * the same home). If that broker stops while the gateway runs, the gateway logs an ERROR and
 * exits with {@link GatewayExit#BUS_STOPPED}: without its bus it can reach no TRP, and a clean
 * process start (by its supervisor) rebuilds broker, connections and consumers together.
 */
public class GatewayConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayConfiguration.class);

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

        GatewayExit exit = context.getRegistry().lookupByNameAndType("gatewayExit", GatewayExit.class);
        if (exit == null) {
            exit = GatewayExit.SYSTEM;
        }
        SecretSource secrets = new SecretSource(home);
        long maxMessageBytes = Long.parseLong(prop(pc, "progdist.gateway.bus.max-message-bytes"));
        Consumer<String> knownDevice = device -> { };
        String busUrl = prop(pc, "progdist.gateway.bus.url");
        // an external broker has its own users: use bus-gateway if the operator provided it
        char[] gatewaySecret = busUrl.isBlank() ? secrets.getOrCreate(BusUsers.GATEWAY_SECRET)
                : secrets.find(BusUsers.GATEWAY_SECRET);
        if (busUrl.isBlank()) {
            String listen = prop(pc, "progdist.gateway.bus.listen");
            GatewayExit onStop = exit;
            EmbeddedBroker bus = new EmbeddedBroker("progdist-device-bus",
                    Home.ensurePrivateDirectory(home.gatewayDir().resolve("bus")), listen,
                    new DeviceBusSecurity(gatewaySecret, secrets), maxMessageBytes)
                    .onUnexpectedStop(reason -> {
                        LOG.error("The device bus stopped: {}. The gateway cannot reach its TRPs without it and "
                                + "exits (status {}) so that it is started again whole.", reason,
                                GatewayExit.BUS_STOPPED);
                        onStop.exit(GatewayExit.BUS_STOPPED);
                    })
                    .start();
            context.addService(closing(bus::close));
            context.getRegistry().bind("deviceBusBroker", bus);
            busUrl = bus.inVmUrl();
            // a TRP's bus secret exists once the gateway has addressed it (or the TRP has started)
            Set<String> provisioned = ConcurrentHashMap.newKeySet();
            knownDevice = device -> {
                if (provisioned.add(device)) {
                    secrets.getOrCreate(BusUsers.trpSecretName(device));
                }
            };
        }
        CachingConnectionFactory factory = new CachingConnectionFactory(gatewaySecret == null
                ? BusConnections.factory(busUrl) : BusConnections.factory(busUrl, BusUsers.GATEWAY_USER, gatewaySecret));
        context.addService(closing(factory::destroy));
        JmsComponent jms = JmsComponent.jmsComponent(factory);
        // bytes and text only, refused unread otherwise: no Java object from the bus is deserialized
        jms.getConfiguration().setMessageConverter(new BusMessageConverter(maxMessageBytes));
        context.addComponent("jms", jms);
        // closed before the broker: services stop in reverse order of adding
        context.addService(closing(keeper::close));

        context.getRegistry().bind("firstPathClient", client);
        context.getRegistry().bind("sessionKeeper", keeper);
        DeviceBus deviceBus = new DeviceBus(context.createFluentProducerTemplate(), knownDevice);
        context.getRegistry().bind("deviceBus", deviceBus);
        ChannelRelay relay = new ChannelRelay(keeper, client, deviceBus);
        context.getRegistry().bind("channelRelay", relay);
        List<String> devices = devices(prop(pc, "progdist.gateway.devices"));
        Duration period = Duration.ofMillis(Long.parseLong(prop(pc, "progdist.gateway.check-in-period")));
        context.getRegistry().bind("gatewayCheckIn", new GatewayCheckIn(new DeviceCheckIn(keeper, client, relay),
                devices, period, Clock.systemUTC()));
        if (!devices.isEmpty()) {
            LOG.info("Checking in every {} for {} device(s): {}", period, devices.size(), String.join(", ", devices));
        }
    }

    /** The comma-separated device IDs of {@code progdist.gateway.devices}, each checked. */
    static List<String> devices(String setting) {
        List<String> devices = new java.util.ArrayList<>();
        for (String d : setting.split(",")) {
            String id = d.strip();
            if (!id.isEmpty()) {
                try {
                    dev.progdist.protocol.DeviceId.require(id);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("progdist.gateway.devices: '" + id + "': " + e.getMessage());
                }
                if (!devices.contains(id)) {
                    devices.add(id);
                }
            }
        }
        return devices;
    }

    /** A setting whose default is in gateway.properties, possibly empty. */
    private static String prop(PropertiesComponent pc, String key) {
        return AppSettings.setting(pc, key);
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
