package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.cli.TrpManufacturing;
import dev.progdist.processors.channel.ServerChannelTls;
import dev.progdist.processors.pki.DeviceCertificateValidator;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.channel.MessageType;
import dev.progdist.protocol.envelope.ProgramSealer;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.InstallReceipt;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.tls.SecureChannel;
import dev.progdist.protocol.tls.TlsEndpoint;
import dev.progdist.trp.InstalledPrograms;
import dev.progdist.trp.TrpChannel;
import dev.progdist.trp.TrpIdentityStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TRP's own checks, against a server that lies. A real TRP emulator ({@link TrpChannel} with
 * its sealed store) talks TLS 1.3 to a scripted server end that holds the real second-path
 * certificate, so the channel is genuine and only the delivery is forged: envelopes sealed for
 * another device, tampered envelopes announced with their tampered digest, bad or foreign
 * publisher signatures, a statement for another version, a rollback. Each must end in an Error with
 * its code and leave nothing installed; the honest delivery must end in a receipt that verifies,
 * and so must an identical re-installation of the installed version (its receipt bound to the new
 * session and nonce), while the same version with other bytes is a rollback.
 */
class TrpDeliveryChecksTest {

    static final String DEVICE = "chk-ec";
    static final String OTHER = "chk-other";
    static final java.util.concurrent.atomic.AtomicInteger PROGRAMS = new java.util.concurrent.atomic.AtomicInteger();

    @TempDir
    static Path dir;
    static Home home;
    static DevelopmentPki pki;
    static TrpIdentityStore trp;
    static TrpIdentityStore other;
    static ServerChannelTls serverTls;
    static DeviceCertificateValidator validator;

    @BeforeAll
    static void setUp() throws Exception {
        home = Home.at(dir);
        pki = DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        trp = TrpManufacturing.manufacture(home, DEVICE, KeyType.EC_P256, false);
        other = TrpManufacturing.manufacture(home, OTHER, KeyType.EC_P256, false);
        serverTls = ServerChannelTls.fromHome(home);
        validator = DeviceCertificateValidator.forHome(home, Clock.systemUTC());
    }

    /** Each test has a program of its own: the TRP's rollback state must not leak between tests. */
    String programId;
    /** The session the scripted server binds the channel to in its HelloAck. */
    String sessionId;

    @org.junit.jupiter.api.BeforeEach
    void newProgram() {
        programId = "tool-" + PROGRAMS.incrementAndGet();
        sessionId = "sid-1";
    }

    /** One scripted delivery: what the lying server sends, and what the TRP answered. */
    record Offer(String version, byte[] program, X509Certificate sealedFor, EnvelopeMode mode,
            UnaryOperator<byte[]> tamperEnvelope, byte[] signature, X509Certificate publisherCert,
            String announcedVersion) {
    }

    @Test
    void anHonestDeliveryIsInstalledAndTheReceiptVerifiesWithTheTrpCertificate() throws Exception {
        byte[] program = randomBytes(200_000);
        List<ChannelMessage> answer = deliver(honest("1.0", program, EnvelopeMode.DIRECT));

        ChannelMessage.Receipt receipt = (ChannelMessage.Receipt) answer.stream()
                .filter(m -> m instanceof ChannelMessage.Receipt).findFirst().orElseThrow(() ->
                        new AssertionError("no receipt: " + answer));
        assertThat(receipt.programSha256()).isEqualTo(sha256(program));
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(trp.certificate());
        v.update(new InstallReceipt(DEVICE, programId, "1.0", sha256(program), receipt.envelopeSha256(), "sid-1",
                receipt.serverNonce()).signedBytes());
        assertThat(v.verify(Base64.getDecoder().decode(receipt.signature()))).isTrue();
        assertThat(installed().installedVersion(programId)).contains("1.0");
        assertThat(Files.readAllBytes(installed().programFile(programId).orElseThrow())).isEqualTo(program);
    }

    @Test
    void anEnvelopeSealedForAnotherDeviceIsRefused() throws Exception {
        Offer o = honest("50.0", randomBytes(10_000), EnvelopeMode.WRAPPED);
        assertRefused(new Offer(o.version(), o.program(), other.certificate(), o.mode(), o.tamperEnvelope(),
                o.signature(), o.publisherCert(), o.announcedVersion()), "envelope-wrong-recipient",
                "envelope-unwrap-failed");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 10, 200, 400, 5_000, 60_000, -17, -1})
    void aTamperedWrappedEnvelopeIsRefusedEvenWithAMatchingAnnouncedDigest(int position) throws Exception {
        Offer o = honest("51.0", randomBytes(70_000), EnvelopeMode.WRAPPED);
        assertRefused(withTamper(o, position), "envelope-malformed", "envelope-authentication-failed",
                "envelope-wrong-recipient", "envelope-unwrap-failed");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, 20, 100, 300, 70_000, -17, -1})
    void aTamperedDirectEnvelopeIsRefusedEvenWithAMatchingAnnouncedDigest(int position) throws Exception {
        Offer o = honest("52.0", randomBytes(140_000), EnvelopeMode.DIRECT);
        assertRefused(withTamper(o, position), "envelope-malformed", "envelope-authentication-failed",
                "envelope-wrong-recipient", "envelope-unwrap-failed");
    }

    @Test
    void aSignatureByAnotherKeyIsRefused() throws Exception {
        byte[] program = randomBytes(1000);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair stranger = g.generateKeyPair();
        Offer o = honest("53.0", program, EnvelopeMode.DIRECT);
        byte[] forged = sign(stranger.getPrivate(), new ProgramStatement(programId, "53.0", sha256(program), program.length));
        assertRefused(new Offer(o.version(), program, o.sealedFor(), o.mode(), o.tamperEnvelope(), forged,
                o.publisherCert(), o.announcedVersion()), "publisher-signature-invalid");
    }

    @Test
    void aValidSignatureForAnotherVersionIsRefused() throws Exception {
        byte[] program = randomBytes(1000);
        Offer o = honest("54.0", program, EnvelopeMode.WRAPPED);
        byte[] forOld = publisherSignature(new ProgramStatement(programId, "0.1", sha256(program), program.length));
        assertRefused(new Offer(o.version(), program, o.sealedFor(), o.mode(), o.tamperEnvelope(), forOld,
                o.publisherCert(), o.announcedVersion()), "publisher-signature-invalid");
    }

    @Test
    void aPublisherCertificateNotFromTheDistributionCaIsRefused() throws Exception {
        Offer o = honest("55.0", randomBytes(1000), EnvelopeMode.DIRECT);
        // the device certificate of another TRP: valid, but from the manufacturer CA and not for code signing
        assertRefused(new Offer(o.version(), o.program(), o.sealedFor(), o.mode(), o.tamperEnvelope(), o.signature(),
                other.certificate(), o.announcedVersion()), "publisher-certificate-invalid");
    }

    @Test
    void aRollbackIsRefusedBeforeAnyByteIsReceived() throws Exception {
        deliver(honest("60.0", randomBytes(1000), EnvelopeMode.DIRECT));
        assertThat(installed().installedVersion(programId)).contains("60.0");
        for (String older : List.of("59.9", "60.0", "6.0")) {
            List<ChannelMessage> answer = deliver(honest(older, randomBytes(1000), EnvelopeMode.DIRECT));
            assertThat(errorCode(answer)).isEqualTo("rollback-refused");
            assertThat(answer).noneMatch(m -> m instanceof ChannelMessage.DeliveryAck);
        }
        assertThat(installed().installedVersion(programId)).contains("60.0");
    }

    @Test
    void theInstalledVersionWithIdenticalBytesIsInstalledAgainWithAFreshReceiptForThisSessionAndNonce()
            throws Exception {
        byte[] program = randomBytes(30_000);
        ChannelMessage.Receipt first = receipt(deliver(honest("61.0", program, EnvelopeMode.DIRECT)));
        sessionId = "sid-2";
        List<ChannelMessage> answer = deliver(honest("61.0", program, EnvelopeMode.WRAPPED));

        ChannelMessage.Receipt again = receipt(answer);
        assertThat(again.serverNonce()).as("this delivery's nonce").isNotEqualTo(first.serverNonce());
        assertThat(again.envelopeSha256()).as("this delivery's envelope").isNotEqualTo(first.envelopeSha256());
        assertThat(again.programSha256()).isEqualTo(sha256(program));
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(trp.certificate());
        v.update(new InstallReceipt(DEVICE, programId, "61.0", sha256(program), again.envelopeSha256(), "sid-2",
                again.serverNonce()).signedBytes());
        assertThat(v.verify(Base64.getDecoder().decode(again.signature()))).as("signed for session sid-2").isTrue();
        assertThat(installed().installedVersion(programId)).contains("61.0");
        assertThat(Files.readAllBytes(installed().programFile(programId).orElseThrow())).isEqualTo(program);
    }

    @Test
    void theInstalledVersionWithOtherBytesOrAnOlderVersionIsRefusedBeforeAnyByteIsReceived() throws Exception {
        byte[] program = randomBytes(1000);
        deliver(honest("62.0", program, EnvelopeMode.DIRECT));
        for (Offer o : List.of(honest("62.0", randomBytes(1000), EnvelopeMode.DIRECT),
                honest("61.9", program, EnvelopeMode.DIRECT))) {
            List<ChannelMessage> answer = deliver(o);
            assertThat(errorCode(answer)).isEqualTo("rollback-refused");
            assertThat(answer).noneMatch(m -> m instanceof ChannelMessage.DeliveryAck
                    || m instanceof ChannelMessage.Receipt);
        }
        // the same version announced with the installed digest, but an envelope of other bytes: the
        // digest check after decryption refuses it, and the installed bytes stay
        byte[] other = randomBytes(1000);
        Offer lying = honest("62.0", other, EnvelopeMode.DIRECT);
        assertRefused(lying, s -> new ChannelMessage.DeliveryStart(s.programId(), s.version(), s.mode(),
                s.programSize(), sha256(program), s.envelopeSize(), s.publisherSignature(), s.publisherCertificate(),
                s.serverNonce()), "program-digest-mismatch");
        assertThat(installed().installedVersion(programId)).contains("62.0");
        assertThat(Files.readAllBytes(installed().programFile(programId).orElseThrow())).isEqualTo(program);
    }

    @Test
    void aDeliveryAnnouncedAsAnotherVersionThanItsEnvelopeIsRefused() throws Exception {
        Offer o = honest("70.0", randomBytes(1000), EnvelopeMode.DIRECT);
        // signature and envelope are for 70.0, DeliveryStart says 71.0
        assertRefused(new Offer(o.version(), o.program(), o.sealedFor(), o.mode(), o.tamperEnvelope(), o.signature(),
                o.publisherCert(), "71.0"), "publisher-signature-invalid");
    }

    @Test
    void aDeliveryThatCannotFitTheTrpsStoreIsRefusedBeforeAnyByteIsReceived() throws Exception {
        Offer o = honest("80.0", randomBytes(1000), EnvelopeMode.DIRECT);
        // announced as a 1 TiB program: more than this machine's free space
        List<ChannelMessage> answer = deliver(o, s -> new ChannelMessage.DeliveryStart(s.programId(), s.version(),
                s.mode(), 1L << 40, s.programSha256(), s.envelopeSize(), s.publisherSignature(),
                s.publisherCertificate(), s.serverNonce()));
        assertThat(errorCode(answer)).isEqualTo("storage-full");
        assertThat(answer).noneMatch(m -> m instanceof ChannelMessage.DeliveryAck);
        assertThat(installed().installedVersion(programId)).isEmpty();
    }

    @Test
    void anEnvelopeLongerThanAnnouncedIsRefused() throws Exception {
        Offer o = honest("81.0", randomBytes(100_000), EnvelopeMode.WRAPPED);
        List<ChannelMessage> answer = deliver(o, s -> new ChannelMessage.DeliveryStart(s.programId(), s.version(),
                s.mode(), s.programSize(), s.programSha256(), s.envelopeSize() - 1, s.publisherSignature(),
                s.publisherCertificate(), s.serverNonce()));
        assertThat(errorCode(answer)).isEqualTo("envelope-size-mismatch");
        assertThat(installed().installedVersion(programId)).isEmpty();
    }

    // ---------------------------------------------------------------- the lying server

    private Offer honest(String version, byte[] program, EnvelopeMode mode) throws Exception {
        return new Offer(version, program, trp.certificate(), mode, UnaryOperator.identity(),
                publisherSignature(new ProgramStatement(programId, version, sha256(program), program.length)),
                pki.publisherCertificate(), version);
    }

    private static Offer withTamper(Offer o, int position) {
        return new Offer(o.version(), o.program(), o.sealedFor(), o.mode(), env -> {
            byte[] t = env.clone();
            int i = position >= 0 ? Math.min(position, t.length - 1) : t.length + position;
            t[i] ^= 0x40;
            return t;
        }, o.signature(), o.publisherCert(), o.announcedVersion());
    }

    private void assertRefused(Offer offer, String... codes) throws Exception {
        assertRefused(offer, UnaryOperator.identity(), codes);
    }

    private void assertRefused(Offer offer, UnaryOperator<ChannelMessage.DeliveryStart> announce, String... codes)
            throws Exception {
        String before = installed().installedVersion(programId).orElse(null);
        List<ChannelMessage> answer = deliver(offer, announce);
        assertThat(answer).noneMatch(m -> m instanceof ChannelMessage.Receipt);
        assertThat(errorCode(answer)).isIn((Object[]) codes);
        assertThat(installed().installedVersion(programId).orElse(null)).isEqualTo(before);
        try (var staged = Files.list(home.trpDir(DEVICE).resolve("staging"))) {
            assertThat(staged).as("staging files left behind").isEmpty();
        }
    }

    private static ChannelMessage.Receipt receipt(List<ChannelMessage> answer) {
        return (ChannelMessage.Receipt) answer.stream().filter(m -> m instanceof ChannelMessage.Receipt).findFirst()
                .orElseThrow(() -> new AssertionError("no receipt: " + answer));
    }

    private static String errorCode(List<ChannelMessage> answer) {
        return answer.stream().filter(m -> m instanceof ChannelMessage.ErrorMessage)
                .map(m -> ((ChannelMessage.ErrorMessage) m).code()).findFirst().orElse("none: " + answer);
    }

    private InstalledPrograms installed() {
        return new InstalledPrograms(home, DEVICE);
    }

    /** Runs one conversation and returns everything the TRP said after its Hello. */
    private List<ChannelMessage> deliver(Offer offer) throws Exception {
        return deliver(offer, UnaryOperator.identity());
    }

    /** As {@link #deliver(Offer)}, with the DeliveryStart changed by {@code announce} before it is sent. */
    private List<ChannelMessage> deliver(Offer offer, UnaryOperator<ChannelMessage.DeliveryStart> announce)
            throws Exception {
        Path plain = Files.createTempFile(dir, "plain", ".bin");
        Files.write(plain, offer.program());
        Path sealed = Files.createTempFile(dir, "env", ".bin");
        ProgramSealer.seal(offer.mode(), offer.sealedFor(), plain, sealed, new SecureRandom());
        byte[] envelope = offer.tamperEnvelope().apply(Files.readAllBytes(sealed));

        TrpChannel channel = new TrpChannel(trp, installed());
        SecureChannel server = new SecureChannel(TlsEndpoint.server(serverTls.newContext(
                validator.clientTrustManager(refusal -> { }))));
        List<ChannelMessage> fromTrp = new ArrayList<>();
        byte[] toServer = channel.open(new TrpChannel.FetchRequest(programId, "", ""));
        int offset = 0;
        String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
        for (int round = 0; round < 1000 && toServer.length > 0; round++) {
            List<ChannelMessage> in = server.receive(toServer);
            for (ChannelMessage m : in) {
                if (!(m instanceof ChannelMessage.Hello)) {
                    fromTrp.add(m);
                }
                if (m instanceof ChannelMessage.Hello) {
                    server.send(new ChannelMessage.HelloAck(sessionId, DEVICE, "user"));
                } else if (m instanceof ChannelMessage.Fetch) {
                    server.send(announce.apply(new ChannelMessage.DeliveryStart(programId, offer.announcedVersion(),
                            offer.mode().label(), offer.program().length, sha256(offer.program()), envelope.length,
                            Base64.getEncoder().encodeToString(offer.signature()),
                            Base64.getEncoder().encodeToString(offer.publisherCert().getEncoded()), nonce)));
                    offset = sendWindow(server, envelope, offset);
                } else if (m instanceof ChannelMessage.DeliveryAck) {
                    offset = sendWindow(server, envelope, offset);
                } else if (m instanceof ChannelMessage.Receipt) {
                    server.send(new ChannelMessage.Close());
                    server.tls().close();
                }
            }
            toServer = channel.receive(server.drainOutbound());
        }
        return fromTrp;
    }

    private static int sendWindow(SecureChannel server, byte[] envelope, int offset) {
        int chunk = MessageType.DELIVERY_CHUNK.maxPayload();
        int end = Math.min(envelope.length, offset + 4 * chunk);
        for (int i = offset; i < end; i += chunk) {
            server.send(new ChannelMessage.DeliveryChunk(Arrays.copyOfRange(envelope, i, Math.min(end, i + chunk))));
        }
        if (end == envelope.length) {
            server.send(new ChannelMessage.DeliveryEnd(sha256(envelope)));
        }
        return end;
    }

    private static byte[] publisherSignature(ProgramStatement statement) {
        return Base64.getDecoder().decode(DevelopmentPki.signAsPublisher(home, statement));
    }

    private static byte[] sign(PrivateKey key, ProgramStatement statement) throws Exception {
        return dev.progdist.protocol.keys.Signatures.sign(key, statement.signedBytes());
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
