package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.channel.ChannelLog;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.channel.ProcessorAuthentication;
import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.delivery.DeliveryException;
import dev.progdist.processors.delivery.DeliveryTransmitter;
import dev.progdist.processors.delivery.DeviceSession;
import dev.progdist.processors.delivery.EntitlementCheck;
import dev.progdist.processors.delivery.KeyWrapping;
import dev.progdist.processors.delivery.ProgramEncryption;
import dev.progdist.processors.delivery.ProgramRequest;
import dev.progdist.processors.delivery.PublisherSignatureCheck;
import dev.progdist.processors.delivery.ReceiptVerification;
import dev.progdist.processors.delivery.ReleaseCache;
import dev.progdist.processors.delivery.RolloutLink;
import dev.progdist.processors.delivery.VersionResolution;
import dev.progdist.processors.http.ProblemResponder;
import dev.progdist.processors.pki.DeviceCertificateValidator;
import dev.progdist.processors.program.BlobStore;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.program.Entitlements;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.TestDatabases;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.program.PublisherSignatureVerifier;
import dev.progdist.protocol.wire.TrpStatus;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.spi.Registry;
import org.apache.camel.test.junit5.TestExecutionConfiguration;
import org.apache.camel.test.main.junit5.CamelMainTestSupport;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Camel Main test of one or more delivery route files, without the fleet: only the route files
 * a test names (and the error-handling configurations they refer to) are loaded, over the stage
 * beans the server binds, built as {@code ServerConfiguration} builds them from real parts: an H2
 * database, the blob store and catalog, the ledger, the device registry, and a development PKI
 * whose manufacturer CA certifies the test devices and whose publisher signs the programs.
 *
 * <p>The context is not started before the test: a test may advise routes first
 * ({@code AdviceWith}), then calls {@link #start()}.
 */
abstract class StageRouteTestSupport extends CamelMainTestSupport {

    static final String USER = "alice";
    static final String SESSION = "session-1";
    private static final String ERROR_HANDLING = "classpath:camel/infrastructure/error-handling.camel.yaml";

    /** RSA 3072 key generation takes a while: one key pair per test run. */
    private static KeyPair rsa3072;

    @TempDir
    Path dir;

    Home home;
    DevelopmentPki pki;
    Database database;
    Clock clock = Clock.systemUTC();
    ProgramCatalog catalog;
    Entitlements entitlements;
    DeliveryLedger ledger;
    DeviceRegistry devices;
    DeviceCertificateValidator validator;
    ProcessorAuthentication trust;
    ReleaseCache releases;

    /** The route files under test, relative to the classpath, e.g. {@code camel/delivery/2-entitlement.camel.yaml}. */
    abstract List<String> routeFiles();

    /** {@code progdist.delivery.window}. */
    int deliveryWindow() {
        return 1_048_576;
    }

    /** What the stages ask about rollouts: none, unless a test says otherwise. */
    RolloutLink rollouts() {
        return RolloutLink.NONE;
    }

    /** {@code progdist.delivery.default-mode}. */
    EnvelopeMode defaultMode() {
        return EnvelopeMode.WRAPPED;
    }

    @Override
    public void configureTest(TestExecutionConfiguration testConfiguration) {
        super.configureTest(testConfiguration);
        testConfiguration.withUseAdviceWith(true);
    }

    @Override
    protected void configure(MainConfigurationProperties configuration) {
        List<String> include = new ArrayList<>();
        for (String file : routeFiles()) {
            include.add("classpath:" + file);
        }
        include.add(ERROR_HANDLING);
        configuration.setRoutesIncludePattern(String.join(",", include));
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        home = Home.at(dir.resolve("home"));
        pki = DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        database = TestDatabases.open(dir);
        new UserDirectory(database, new PasswordHasher(1024, 1, 1), clock)
                .addUser(USER, "a-long-enough-secret".toCharArray(), Role.USER, false);
        BlobStore blobs = BlobStore.forHome(home);
        catalog = new ProgramCatalog(database, blobs, clock);
        entitlements = new Entitlements(database, clock);
        ledger = new DeliveryLedger(database, clock);
        devices = new DeviceRegistry(database, clock);
        validator = DeviceCertificateValidator.forHome(home, clock);
        trust = new ProcessorAuthentication(devices, new ChannelLog(database, clock), (e, a, s, d) -> { }, validator);
        X509Certificate publisher = pki.publisherCertificate();

        registry.bind("problemResponder", new ProblemResponder());
        registry.bind("certificateValidation", validator);
        releases = new ReleaseCache(home.releasesDir().resolve("test-instance"), catalog);
        registry.bind("programRequest", new ProgramRequest(ledger, trust, rollouts()));
        registry.bind("entitlementCheck", new EntitlementCheck(entitlements));
        registry.bind("versionResolution", new VersionResolution(catalog));
        registry.bind("publisherSignatureCheck",
                new PublisherSignatureCheck(PublisherSignatureVerifier.forPublisher(publisher)));
        registry.bind("keyWrapping", new KeyWrapping(defaultMode(), releases));
        registry.bind("programEncryption", new ProgramEncryption(catalog, ledger, publisher));
        registry.bind("deliveryTransmitter", new DeliveryTransmitter(deliveryWindow(), trust, rollouts()));
        registry.bind("receiptVerification", new ReceiptVerification(ledger, (e, a, s, d) -> { }));
    }

    @AfterEach
    void closeDatabase() {
        if (releases != null) {
            releases.close();
        }
        if (database != null) {
            database.close();
        }
    }

    /** A stage bean as bound, for a test that prepares a delivery with the stages before the one it tests. */
    <T> T bean(String name, Class<T> type) {
        return context.getRegistry().lookupByNameAndType(name, type);
    }

    /**
     * A delivery of {@code program} through the real stage beans up to {@code SENT} (the default
     * window carries a small envelope in one round): what receipt verification expects.
     */
    DeliveryContext sentTo(TestDevice device, ProgramCatalog.ProgramVersion program, EnvelopeMode mode) {
        DeliveryContext verified = deviceChecked(device.session(), program.programId(), "", mode.label())
                .at(DeliveryContext.Stage.ENTITLED).resolved(program).at(DeliveryContext.Stage.SIGNATURE_VERIFIED);
        DeliveryContext encrypted = bean("programEncryption", ProgramEncryption.class)
                .encrypt(bean("keyWrapping", KeyWrapping.class).wrap(verified));
        DeliveryContext sent = bean("deliveryTransmitter", DeliveryTransmitter.class).sendWindow(encrypted.sentOut());
        assertThat(sent.stage()).isEqualTo(DeliveryContext.Stage.SENT);
        return sent.sentOut();
    }

    /** Starts the context, after any advice. */
    void start() {
        context.start();
    }

    // ---- sending a delivery through a stage ----

    /** Sends {@code delivery} to {@code direct:<stage>}: the context it returns, or the DeliveryException it raised. */
    Object send(String stage, DeliveryContext delivery) {
        try {
            return template.requestBody("direct:" + stage, delivery);
        } catch (CamelExecutionException e) {
            if (e.getCause() instanceof DeliveryException refusal) {
                return refusal;
            }
            throw e;
        }
    }

    /** The next context from {@code stage}; fails the test if the stage refused. */
    DeliveryContext pass(String stage, DeliveryContext delivery) {
        Object result = send(stage, delivery);
        assertThat(result).as("the answer of %s", stage).isInstanceOf(DeliveryContext.class);
        return (DeliveryContext) result;
    }

    /** The refusal of {@code stage}; fails the test if the stage passed the delivery on. */
    DeliveryException refusal(String stage, DeliveryContext delivery) {
        Object result = send(stage, delivery);
        assertThat(result).as("the answer of %s", stage).isInstanceOf(DeliveryException.class);
        return (DeliveryException) result;
    }

    // ---- devices and programs ----

    /** A TRP as manufactured: its key pair and the certificate the manufacturer CA issued for it. */
    record TestDevice(String deviceId, KeyPair keys, X509Certificate certificate, X509Certificate ca) {

        List<X509Certificate> chain() {
            return List.of(certificate, ca);
        }

        DeviceSession session(TrpStatus.InstalledProgram... installed) {
            return new DeviceSession(SESSION, USER, deviceId, chain(), List.of(installed));
        }
    }

    static KeyPair ecKeys() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static synchronized KeyPair rsaKeys() {
        if (rsa3072 == null) {
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(3072);
                rsa3072 = g.generateKeyPair();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return rsa3072;
    }

    /** A device certified by this PKI's manufacturer CA (not registered). */
    TestDevice manufacture(String deviceId, KeyPair keys) {
        return new TestDevice(deviceId, keys, pki.certifyDevice(deviceId, csr(keys)), pki.manufacturerCaCertificate());
    }

    /** A device certified by this PKI and registered to {@link #USER}. */
    TestDevice registered(String deviceId, KeyPair keys) {
        TestDevice device = manufacture(deviceId, keys);
        devices.register(deviceId, USER, "olga");
        return device;
    }

    static PKCS10CertificationRequest csr(KeyPair keys) {
        try {
            String alg = keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=ignored"), keys.getPublic())
                    .build(new JcaContentSignerBuilder(alg).build(keys.getPrivate()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code size} bytes of deterministic content. */
    static byte[] content(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Publishes {@code bytes} as the program version, signed by this PKI's publisher. */
    ProgramCatalog.ProgramVersion publish(String programId, String version, byte[] bytes, EnvelopeMode mode) {
        ProgramStatement statement = new ProgramStatement(programId, version,
                HexFormat.of().formatHex(sha256(bytes)), bytes.length);
        return catalog.publish(statement, DevelopmentPki.signAsPublisher(home, statement),
                Fingerprints.sha256(pki.publisherCertificate()), mode, "olga", new ByteArrayInputStream(bytes));
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A delivery as the inner channel hands it to program request. */
    static DeliveryContext requested(TestDevice device, String programId, String version, String mode) {
        return DeliveryContext.requested(device.session(), new ChannelMessage.Fetch(programId, version, mode));
    }

    /** A delivery as it leaves program request: its ledger row opened, the device checked. */
    DeliveryContext deviceChecked(DeviceSession session, String programId, String version, String mode) {
        String id = ledger.open(session.sessionId(), session.userId(), session.deviceId(), programId,
                version.isEmpty() ? null : version, mode.isEmpty() ? null : mode);
        return DeliveryContext.requested(session, new ChannelMessage.Fetch(programId, version, mode)).opened(id)
                .at(DeliveryContext.Stage.DEVICE_CHECKED);
    }
}
