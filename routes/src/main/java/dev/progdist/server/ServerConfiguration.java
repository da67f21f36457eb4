package dev.progdist.server;

import dev.progdist.processors.auth.LoginThrottle;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.SessionStore;
import dev.progdist.processors.auth.UserAdministration;
import dev.progdist.processors.auth.UserAuthentication;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.channel.ChannelLog;
import dev.progdist.processors.channel.DeliveryFailures;
import dev.progdist.processors.channel.ChannelRegistry;
import dev.progdist.processors.channel.DeviceAdministration;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.channel.InnerChannel;
import dev.progdist.processors.channel.ProcessorAuthentication;
import dev.progdist.processors.channel.ServerChannelTls;
import dev.progdist.processors.http.ProblemResponder;
import dev.progdist.processors.pki.DeviceCertificateValidator;
import dev.progdist.processors.delivery.DeliveryTransmitter;
import dev.progdist.processors.delivery.EntitlementCheck;
import dev.progdist.processors.delivery.KeyWrapping;
import dev.progdist.processors.delivery.ProgramEncryption;
import dev.progdist.processors.delivery.ProgramRequest;
import dev.progdist.processors.delivery.PublisherSignatureCheck;
import dev.progdist.processors.delivery.VersionResolution;
import dev.progdist.protocol.program.PublisherSignatureVerifier;
import dev.progdist.processors.delivery.ReceiptVerification;
import dev.progdist.processors.delivery.ReleaseCache;
import dev.progdist.processors.rollout.RolloutCheckIn;
import dev.progdist.processors.rollout.RolloutAdministration;
import dev.progdist.processors.rollout.RolloutDeliveries;
import dev.progdist.processors.rollout.RolloutEvents;
import dev.progdist.processors.rollout.RolloutScheduler;
import dev.progdist.processors.rollout.RolloutSettings;
import dev.progdist.processors.rollout.Rollouts;
import dev.progdist.processors.program.DeliverySettlement;
import dev.progdist.processors.store.ServerInstances;
import dev.progdist.processors.program.BlobStore;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.program.Entitlements;
import dev.progdist.processors.program.ProgramAdministration;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.processors.program.PublishSignatureCheck;
import dev.progdist.processors.store.AuditLog;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.bus.BusConnections;
import dev.progdist.protocol.bus.BusMessageConverter;
import dev.progdist.protocol.bus.EmbeddedBroker;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.Pem;
import dev.progdist.protocol.keys.SecretSource;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.settings.AppSettings;
import jakarta.jms.ConnectionFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.jms.JmsComponent;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.jsse.CipherSuitesParameters;
import org.apache.camel.support.jsse.KeyManagersParameters;
import org.apache.camel.support.jsse.KeyStoreParameters;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.camel.support.jsse.SSLContextServerParameters;
import org.apache.camel.support.jsse.SecureSocketProtocolsParameters;
import org.apache.camel.support.service.ServiceSupport;
import org.springframework.jms.connection.CachingConnectionFactory;

/**
 * Wires the distribution server: database, broker, HTTPS, and the stage beans the YAML routes
 * refer to by name. Settings come from Camel's properties (see {@code server.properties}).
 *
 * <p>Beans bound here: {@code database}, {@code auditLog}, {@code auditTrail},
 * {@code userAuthentication}, {@code userAdministration}, {@code problemResponder}, {@code serverHealth}, {@code clock},
 * {@code serverInstances} and {@code instanceHeartbeat} (crash recovery);
 * second path: {@code deviceRegistry}, {@code channelLog}, {@code innerChannel}, {@code processorAuthentication},
 * {@code deviceAdministration}; programs: {@code blobStore}, {@code programCatalog}, {@code entitlements},
 * {@code deliveryLedger}, {@code releaseCache}, {@code programAdministration}, {@code publishSignatureCheck} (publishing's
 * check of the publisher signature); delivery
 * stages (camel/delivery/, in order): {@code programRequest}, {@code entitlementCheck}, {@code versionResolution},
 * {@code publisherSignatureCheck}, {@code keyWrapping}, {@code programEncryption}, {@code deliveryTransmitter},
 * {@code receiptVerification}, and {@code deliveryFailures}; the second path's {@code certificateValidation}.
 * A test may bind its own {@code clock} before start to control time.
 */
public class ServerConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        PropertiesComponent pc = context.getPropertiesComponent();
        Home home = Home.fromSetting(setting(pc, Home.PROPERTY));
        // read what the PKI must provide before anything is opened or started: a missing file then
        // fails the start without leaving a database pool or a broker behind
        SSLContextParameters https = httpsTls(home);
        X509Certificate publisher = publisherCertificate(home);
        Clock clock = context.getRegistry().lookupByNameAndType("clock", Clock.class);
        if (clock == null) {
            clock = Clock.systemUTC();
            context.getRegistry().bind("clock", Clock.class, clock);
        }

        String url = setting(pc, "progdist.db.url");
        Database database = Database.open(home, url, setting(pc, "progdist.db.user"), setting(pc, "progdist.db.password"),
                Integer.parseInt(setting(pc, "progdist.db.pool-size")));
        context.addService(closing("database", database::close));

        EmbeddedBroker broker = null;
        String brokerUrl = setting(pc, "progdist.broker.url");
        if (brokerUrl.isBlank()) {
            broker = new EmbeddedBroker("progdist-server", Home.ensurePrivateDirectory(home.brokerDir()), null)
                    .start();
            context.addService(closing("broker", broker::close));
            brokerUrl = broker.inVmUrl();
        }
        // an external broker with its own security: log in (the password is a setting of its own,
        // masked in Camel's start-up summary, never part of the logged URL)
        String brokerUser = broker == null ? setting(pc, "progdist.broker.user") : "";
        // a caching factory: camel-jms would otherwise open a connection per message
        CachingConnectionFactory jmsFactory = new CachingConnectionFactory(brokerUser.isBlank()
                ? BusConnections.factory(brokerUrl)
                : BusConnections.factory(brokerUrl, brokerUser, setting(pc, "progdist.broker.password").toCharArray()));
        jmsFactory.setSessionCacheSize(10);
        context.addService(closing("jms-connections", jmsFactory::destroy));
        context.getRegistry().bind("jmsConnectionFactory", ConnectionFactory.class, jmsFactory);
        JmsComponent jms = JmsComponent.jmsComponent(jmsFactory);
        // text and bytes only (the audit trail is JSON text); anything else is refused unread
        jms.getConfiguration().setMessageConverter(new BusMessageConverter());
        context.addComponent("jms", jms);

        ApiJettyComponent jetty = new ApiJettyComponent(frontDoorLimits(pc));
        jetty.setSslContextParameters(https);
        jetty.setHeaderFilterStrategy(new ApiHeaderFilterStrategy());
        context.addComponent("jetty", jetty);
        // every HTTP route reads its request with this binding (rest-api and not-found)
        bind(context, "apiHttpBinding", jetty.binding());

        PasswordHasher hasher = new PasswordHasher(
                Integer.parseInt(setting(pc, "progdist.auth.argon2.memory-kib")),
                Integer.parseInt(setting(pc, "progdist.auth.argon2.iterations")),
                Integer.parseInt(setting(pc, "progdist.auth.argon2.parallelism")));
        AuditLog auditLog = new AuditLog(database, clock);
        JmsAuditTrail auditTrail = new JmsAuditTrail(context, "jms:queue:" + setting(pc, "progdist.audit.queue"));
        LoginThrottle throttle = new LoginThrottle(database, clock,
                Integer.parseInt(setting(pc, "progdist.auth.throttle-after")),
                Duration.parse(setting(pc, "progdist.auth.throttle-base-delay")),
                Duration.parse(setting(pc, "progdist.auth.throttle-max-delay")),
                Integer.parseInt(setting(pc, "progdist.auth.lock-after")),
                Duration.parse(setting(pc, "progdist.auth.lock-duration")));
        SessionStore sessions = new SessionStore(database, clock,
                Duration.parse(setting(pc, "progdist.auth.session-ttl")),
                Duration.parse(setting(pc, "progdist.auth.session-max-lifetime")),
                Integer.parseInt(required(pc, "progdist.auth.max-sessions-per-user")));

        bind(context, "database", database);
        bind(context, "auditLog", auditLog);
        bind(context, "auditTrail", auditTrail);
        bind(context, "sessionStore", sessions);
        UserDirectory users = new UserDirectory(database, hasher, clock);
        bind(context, "userAuthentication", new UserAuthentication(users, hasher, throttle, sessions, auditTrail,
                Integer.parseInt(required(pc, "progdist.server.login-concurrency"))));
        bind(context, "problemResponder", new ProblemResponder());

        // this instance (a new ID per start) and the crash check: the unfinished deliveries of
        // instances that stopped heartbeating (this home's previous run among them) fail server-lost
        Duration lease = Duration.parse(required(pc, "progdist.rollout.instance-lease"));
        long heartbeatPeriod = Long.parseLong(required(pc, "progdist.server.heartbeat-period"));
        if (heartbeatPeriod <= 0 || Duration.ofMillis(heartbeatPeriod).compareTo(lease) >= 0) {
            throw new IllegalStateException("progdist.server.heartbeat-period (" + heartbeatPeriod
                    + " ms) must be positive and shorter than progdist.rollout.instance-lease (" + lease + ")");
        }
        ServerInstances instances = new ServerInstances(database, clock);
        instances.register();
        context.addService(closing("server-instance", instances::deregister));
        bind(context, "serverInstances", instances);
        // rollouts: the engine links deliveries to assignments and settles them in the ledger's transactions
        RolloutDeliveries rollouts = new RolloutDeliveries(database, clock);
        DeliverySettlement settlement = rollouts;

        // programs
        BlobStore blobs = BlobStore.forHome(home);
        ProgramCatalog catalog = new ProgramCatalog(database, blobs, clock);
        Entitlements entitlements = new Entitlements(database, clock);
        DeliveryLedger ledger = new DeliveryLedger(database, clock, instances.instanceId(), settlement);
        InstanceHeartbeat heartbeat = new InstanceHeartbeat(instances, ledger, lease);
        heartbeat.failLost();
        bind(context, "instanceHeartbeat", heartbeat);
        // wrapped rollouts: one release per rollout, its ciphertext in this instance's own directory;
        // what earlier runs (and stopped instances) on this home left there is deleted
        ReleaseCache.sweep(home.releasesDir(), instances.live(lease));
        ReleaseCache releases = new ReleaseCache(home.releasesDir().resolve(instances.instanceId()), catalog);
        context.addService(closing("release-cache", releases::close));
        bind(context, "releaseCache", releases);
        bind(context, "publishSignatureCheck", new PublishSignatureCheck(publisher));
        bind(context, "blobStore", blobs);
        bind(context, "programCatalog", catalog);
        bind(context, "entitlements", entitlements);
        bind(context, "deliveryLedger", ledger);
        bind(context, "programAdministration", new ProgramAdministration(catalog, entitlements, ledger, auditTrail,
                Fingerprints.sha256(publisher), Long.parseLong(setting(pc, "progdist.program.max-size"))));

        // second path
        DeviceRegistry devices = new DeviceRegistry(database, clock);
        ChannelLog channelLog = new ChannelLog(database, clock);
        DeviceCertificateValidator validator = DeviceCertificateValidator.forHome(home, clock);
        bind(context, "deviceRegistry", devices);
        bind(context, "channelLog", channelLog);
        String maxOpen = setting(pc, "progdist.channel.max-open");
        ChannelRegistry.Limits channelLimits = new ChannelRegistry.Limits(
                maxOpen.isEmpty() ? ChannelRegistry.defaultMaxChannels(Runtime.getRuntime().maxMemory())
                        : Integer.parseInt(maxOpen),
                Integer.parseInt(required(pc, "progdist.channel.max-per-user")),
                Integer.parseInt(required(pc, "progdist.channel.max-new-per-session")),
                Duration.parse(required(pc, "progdist.channel.new-per-session-window")));
        org.slf4j.LoggerFactory.getLogger(ServerConfiguration.class).info(
                "Second path: at most {} channels ({} per user)", channelLimits.maxChannels(), channelLimits.maxPerUser());
        InnerChannel innerChannel = new InnerChannel(
                new ChannelRegistry(channelLimits, Duration.parse(setting(pc, "progdist.channel.idle-timeout")),
                        clock),
                ServerChannelTls.fromHome(home), validator,
                new RoutedCertificateValidation(context.createProducerTemplate()), channelLog, ledger, clock, sessions);
        // a secret replaced, a user disabled or sessions revoked ends their channels right after the commit
        bind(context, "userAdministration", new UserAdministration(users, auditTrail, innerChannel::endSessions));
        ProcessorAuthentication processorAuthentication = new ProcessorAuthentication(devices, channelLog, auditTrail,
                validator);
        bind(context, "certificateValidation", validator);
        bind(context, "innerChannel", innerChannel);
        bind(context, "processorAuthentication", processorAuthentication);
        bind(context, "deviceAdministration", new DeviceAdministration(devices, channelLog, auditTrail, validator));

        // delivery stages
        bind(context, "programRequest", new ProgramRequest(ledger, processorAuthentication, rollouts));
        bind(context, "entitlementCheck", new EntitlementCheck(entitlements));
        bind(context, "versionResolution", new VersionResolution(catalog));
        bind(context, "publisherSignatureCheck", new PublisherSignatureCheck(
                PublisherSignatureVerifier.forPublisher(publisher)));
        bind(context, "keyWrapping", new KeyWrapping(EnvelopeMode.parse(setting(pc, "progdist.delivery.default-mode")),
                releases));
        bind(context, "programEncryption", new ProgramEncryption(catalog, ledger, publisher));
        bind(context, "deliveryTransmitter", new DeliveryTransmitter(
                Integer.parseInt(setting(pc, "progdist.delivery.window")), processorAuthentication, rollouts));
        bind(context, "receiptVerification", new ReceiptVerification(ledger, auditTrail));
        bind(context, "deliveryFailures", new DeliveryFailures(innerChannel));

        // rollouts (camel/api/rollouts, camel/rollouts/): all state in the database
        RolloutSettings rolloutSettings = rolloutSettings(pc);
        Rollouts rolloutService = new Rollouts(database, clock, rolloutSettings, catalog, entitlements, validator,
                sessions);
        bind(context, "rollouts", rolloutService);
        bind(context, "rolloutAdministration", new RolloutAdministration(rolloutService, auditTrail));
        bind(context, "rolloutCheckIn", new RolloutCheckIn(rolloutService));
        bind(context, "rolloutScheduler", new RolloutScheduler(database, clock, rolloutSettings, validator));
        bind(context, "releaseSweep", new ReleaseSweep(releases, rolloutService));
        RolloutEvents rolloutEvents = new RolloutEvents(database, clock);
        bind(context, "rolloutEvents", rolloutEvents);
        bind(context, "rolloutEventPublisher", new RolloutEventPublisher(context, rolloutEvents,
                required(pc, "progdist.rollout.events-topic")));

        String port = setting(pc, "progdist.server.port");
        String bind = setting(pc, "progdist.server.bind");
        // tells CLI commands on this home that a server runs, and where its operator API is
        RunningServer running = RunningServer.self(RunningServer.localUrl(bind, port));
        context.addService(closing("running-marker", () -> running.remove(home)));
        context.addStartupListener(new org.apache.camel.StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext ctx, boolean alreadyStarted) {
                // wait for the fully-started callback: only then is Jetty accepting
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext ctx, boolean alreadyStarted) {
                running.write(home);
                org.slf4j.LoggerFactory.getLogger(ServerConfiguration.class)
                        .info("progdist server ready on https://{}:{}/ (home {})", bind, port, home);
            }
        });
        bind(context, "housekeeping", new Housekeeping(sessions, throttle,
                Duration.parse(setting(pc, "progdist.housekeeping.keep-ended-sessions")),
                Duration.parse(setting(pc, "progdist.housekeeping.keep-login-failures")),
                channelLog, Duration.parse(required(pc, "progdist.housekeeping.keep-channel-events")),
                Long.parseLong(required(pc, "progdist.housekeeping.max-channel-events"))));
        bind(context, "serverHealth", new ServerHealth(context, database, broker));
    }

    /**
     * The cipher suites of the HTTPS port: AEAD only. TLS 1.3's three, and for TLS 1.2 ECDHE (forward
     * secrecy) with AES-GCM or ChaCha20-Poly1305, for ECDSA keys (what {@code pki init} makes) and
     * RSA keys. No CBC suite: they are the ones with padding-oracle and Lucky13 histories.
     */
    static final List<String> HTTPS_CIPHER_SUITES = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /** The rollout engine's settings, from {@code progdist.rollout.*} (defaults in server.properties). */
    static RolloutSettings rolloutSettings(PropertiesComponent pc) {
        // every key is in server.properties, so none falls back to RolloutSettings' own defaults
        return RolloutSettings.of(key -> required(pc, key));
    }

    /** The front door's budgets, from {@code progdist.server.*} (defaults in server.properties). */
    static FrontDoorLimits frontDoorLimits(PropertiesComponent pc) {
        return new FrontDoorLimits(
                Integer.parseInt(required(pc, "progdist.server.threads.max")),
                Integer.parseInt(required(pc, "progdist.server.threads.min")),
                Integer.parseInt(required(pc, "progdist.server.max-connections")),
                Duration.parse(required(pc, "progdist.server.idle-timeout")),
                Duration.parse(required(pc, "progdist.server.header-timeout")),
                Duration.parse(required(pc, "progdist.server.idle-timeout-at-limit")),
                Long.parseLong(required(pc, "progdist.server.min-request-data-rate")),
                Duration.parse(required(pc, "progdist.server.body-read-timeout")),
                Integer.parseInt(required(pc, "progdist.server.max-buffered-body")));
    }

    /** HTTPS with the distribution-CA-issued certificate made by {@code pki init}; TLS 1.3 and 1.2 only. */
    static SSLContextParameters httpsTls(Home home) {
        Path store = home.serverHttpsStore();
        if (!Files.isRegularFile(store)) {
            throw new IllegalStateException("no HTTPS key store at " + store + ": run './progdist pki init' first");
        }
        KeyStoreParameters ksp = new KeyStoreParameters();
        ksp.setResource("file:" + store);
        ksp.setType("PKCS12");
        String password = new String(new SecretSource(home).get("server-https"));
        ksp.setPassword(password);
        KeyManagersParameters kmp = new KeyManagersParameters();
        kmp.setKeyStore(ksp);
        kmp.setKeyPassword(password);
        // unwrap the key once at start (SunX509), not with PBKDF2 on every handshake (PKIX's default)
        kmp.setAlgorithm("SunX509");
        SecureSocketProtocolsParameters protocols = new SecureSocketProtocolsParameters();
        protocols.getSecureSocketProtocol().add("TLSv1.3");
        protocols.getSecureSocketProtocol().add("TLSv1.2");
        CipherSuitesParameters suites = new CipherSuitesParameters();
        suites.getCipherSuite().addAll(HTTPS_CIPHER_SUITES);
        SSLContextServerParameters server = new SSLContextServerParameters();
        SSLContextParameters tls = new SSLContextParameters();
        tls.setKeyManagers(kmp);
        tls.setSecureSocketProtocols(protocols);
        tls.setCipherSuites(suites);
        tls.setServerParameters(server);
        return tls;
    }

    /**
     * The publisher's certificate made by {@code pki init}: programs must be signed by its key. It
     * must be issued by the distribution CA ({@code pki/distribution-ca.crt}) for code signing.
     */
    static X509Certificate publisherCertificate(Home home) {
        Path pem = home.publisherCertificate();
        Path ca = home.distributionCaCertificate();
        if (!Files.isRegularFile(pem) || !Files.isRegularFile(ca)) {
            throw new IllegalStateException("no publisher certificate at " + pem + ": run './progdist pki init' first");
        }
        X509Certificate publisher = Pem.readCertificate(pem);
        try {
            publisher.verify(Pem.readCertificate(ca).getPublicKey());
            if (publisher.getExtendedKeyUsage() == null
                    || !publisher.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.3")) {
                throw new IllegalStateException(pem + " is not a code-signing certificate");
            }
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(pem + " is not issued by the distribution CA " + ca, e);
        }
        return publisher;
    }

    private static void bind(CamelContext context, String name, Object bean) {
        context.getRegistry().bind(name, bean);
    }

    /** A setting whose default is in server.properties, not empty. */
    static String required(PropertiesComponent pc, String key) {
        return AppSettings.requiredSetting(pc, key);
    }

    /** A setting whose default is in server.properties, possibly empty. */
    static String setting(PropertiesComponent pc, String key) {
        return AppSettings.setting(pc, key);
    }

    /** Something to close when Camel stops, after the routes (services stop in reverse order). */
    static ServiceSupport closing(String name, Runnable close) {
        return new ServiceSupport() {
            @Override
            protected void doStop() {
                close.run();
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
