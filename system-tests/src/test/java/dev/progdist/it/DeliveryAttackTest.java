package dev.progdist.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.DeviceBus;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.program.InstallReceipt;
import dev.progdist.protocol.wire.SessionResponse;
import dev.progdist.trp.InstalledPrograms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refused deliveries on the real server, each with its reason in the ledger and nothing recorded
 * as installed: a user who is not entitled, an unknown program, a rollback, a stored publisher
 * signature that does not verify, a blob altered on the server's disk, a gateway that flips a
 * byte of the envelope in transit, a device revoked in the middle of a delivery, and forged or
 * replayed receipts from a TRP that holds a genuine certificate.
 */
class DeliveryAttackTest {

    static final char[] SECRET = "delivery-attack-secret".toCharArray();
    static final String EC = "da-ec";
    static final String REVOKED = "da-rev";
    static final String FAKE = "da-fake";

    @TempDir
    static Path dir;
    static Fleet fleet;

    @BeforeAll
    static void start() throws Exception {
        fleet = Fleet.start(dir, "gina", SECRET, Map.of(EC, KeyType.EC_P256, REVOKED, KeyType.EC_P256));
        fleet.register(EC, "gina");
        fleet.register(REVOKED, "gina");
        fleet.register(FAKE, "gina");
        DeviceBus bus = fleet.gatewayBean("deviceBus", DeviceBus.class);
        for (String d : List.of(EC, REVOKED)) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> bus.status(d) != null);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void aUserWhoIsNotEntitledIsRefusedAndTheLedgerSaysSo() throws Exception {
        fleet.publish("secret-tool", "1.0", bytes(5000));
        // gina owns the device and may log in, but holds no grant for this program
        ChannelRelay.Outcome o = fetch("secret-tool", null, null);
        assertRefused(o, "secret-tool", "not-entitled");
    }

    @Test
    void anUnknownProgramIsRefused() throws Exception {
        fleet.grant("ghost", "gina");
        assertRefused(fetch("ghost", null, null), "ghost", "unknown-program");
    }

    @Test
    void theServerRefusesARollbackToAnOlderOrTheSameVersion() throws Exception {
        fleet.publish("roll", "1.0", bytes(1000));
        fleet.publish("roll", "2.0", bytes(1000));
        fleet.grant("roll", "gina");
        assertThat(fetch("roll", null, "direct").installed()).isTrue();
        assertRefused(fetch("roll", "1.0", null), "roll", "rollback-refused");
        assertRefused(fetch("roll", "2.0", null), "roll", "rollback-refused");
        assertThat(new InstalledPrograms(fleet.home, EC).installedVersion("roll")).contains("2.0");
    }

    @Test
    void aStoredPublisherSignatureThatDoesNotVerifyStopsTheDeliveryAtTheServer() throws Exception {
        fleet.publish("badsig", "1.0", bytes(1000));
        ProgramCatalog.ProgramVersion other = fleet.publish("badsig-other", "1.0", bytes(1000));
        fleet.grant("badsig", "gina");
        // a valid publisher signature, but over another program's statement
        Database db = fleet.serverBean("database", Database.class); // the server's pool: not ours to close
        try (Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement(
                        "UPDATE programs SET publisher_signature = ? WHERE program_id = 'badsig'")) {
            ps.setString(1, other.publisherSignature());
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        assertRefused(fetch("badsig", null, null), "badsig", "publisher-signature-invalid");
    }

    @Test
    void aBlobAlteredOnTheServersDiskIsRefusedByTheTrp() throws Exception {
        ProgramCatalog.ProgramVersion p = fleet.publish("altered", "1.0", bytes(40_000));
        fleet.grant("altered", "gina");
        Path blob = fleet.serverBean("programCatalog", ProgramCatalog.class).blob(p);
        byte[] b = Files.readAllBytes(blob);
        b[1234] ^= 1;
        blob.toFile().setWritable(true);
        Files.write(blob, b);
        assertRefused(fetch("altered", null, "wrapped"), "altered", "trp-program-digest-mismatch");
    }

    @Test
    void aGatewayFlippingAByteOfTheEnvelopeInTransitBreaksTheChannelAndTheDelivery() throws Exception {
        fleet.publish("flip", "1.0", bytes(3 * 1024 * 1024));
        fleet.grant("flip", "gina");
        ChannelRelay.RecordTap tap = new ChannelRelay.RecordTap() {
            @Override
            public byte[] toTrp(int round, byte[] records) {
                if (round == 3 && records.length > 10_000) {
                    byte[] t = records.clone();
                    t[t.length / 2] ^= 0x01;
                    return t;
                }
                return records;
            }
        };
        ChannelRelay.Outcome o = fleet.relayAs("gina", SECRET).fetch(EC, new ChannelRelay.Fetch("flip", null, null), tap);
        assertThat(o.installed()).isFalse();
        DeliveryLedger.Delivery row = latest(EC, "flip");
        assertThat(row.outcome()).isEqualTo("failed");
        assertThat(row.reasonCode()).isNotNull();
        assertThat(new InstalledPrograms(fleet.home, EC).installedVersion("flip")).isEmpty();
    }

    @Test
    void aDeviceRevokedInTheMiddleOfADeliveryGetsNoMoreBytes() throws Exception {
        fleet.publish("long", "1.0", bytes(4 * 1024 * 1024));
        fleet.grant("long", "gina");
        ChannelRelay.RecordTap tap = new ChannelRelay.RecordTap() {
            @Override
            public byte[] toServer(int round, byte[] records) {
                if (round == 4) {
                    // the first window went out; revoke before the TRP's acknowledgement reaches the server
                    fleet.pki.revokeDevice(REVOKED, "keyCompromise");
                }
                return records;
            }
        };
        ChannelRelay.Outcome o = fleet.relayAs("gina", SECRET).fetch(REVOKED, new ChannelRelay.Fetch("long", null, null),
                tap);
        assertThat(o.installed()).isFalse();
        DeliveryLedger.Delivery row = latest(REVOKED, "long");
        assertThat(row.outcome()).isEqualTo("failed");
        assertThat(row.reasonCode()).isEqualTo("cert-revoked");
        assertThat(Long.parseLong(o.trpReport().getOrDefault("progdistReceived", "0")))
                .isLessThan(row.envelopeSize());
        assertThat(new InstalledPrograms(fleet.home, REVOKED).installedVersion("long")).isEmpty();
    }

    @Test
    void aReceiptSignedByAnotherKeyIsRefused() throws Exception {
        fleet.publish("forge", "1.0", bytes(50_000));
        fleet.grant("forge", "gina");
        KeyPair stranger = ec();
        FakeTrp.Result r = fakeDelivery("forge", (receipt, nonceReceipt) -> sign(stranger.getPrivate(), receipt));
        assertThat(r.serverCode()).isEqualTo("receipt-invalid");
        assertThat(latest(FAKE, "forge").outcome()).isEqualTo("failed");
        assertThat(latest(FAKE, "forge").reasonCode()).isEqualTo("receipt-invalid");
    }

    @Test
    void aReplayedReceiptOfAnEarlierDeliveryIsRefused() throws Exception {
        fleet.publish("replay", "1.0", bytes(50_000));
        fleet.grant("replay", "gina");
        AtomicReference<String[]> first = new AtomicReference<>();
        FakeTrp.Result ok = fakeDelivery("replay", (receipt, signed) -> {
            first.set(new String[] {receipt.serverNonce(), signed});
            return signed;
        });
        assertThat(latest(FAKE, "replay").outcome()).as(ok.toString()).isEqualTo("installed");
        // the same program again (the fake claims it holds nothing), answered with the first receipt
        FakeTrp.Result replayed = fakeDelivery("replay", null, first.get());
        assertThat(replayed.serverCode()).isEqualTo("receipt-invalid");
        assertThat(latest(FAKE, "replay").outcome()).isEqualTo("failed");
    }

    // ---------------------------------------------------------------- helpers

    private static ChannelRelay.Outcome fetch(String program, String version, String mode) {
        return fleet.relayAs("gina", SECRET).fetch(EC, new ChannelRelay.Fetch(program, version, mode));
    }

    private static void assertRefused(ChannelRelay.Outcome o, String program, String code) {
        assertThat(o.installed()).as(o.toString()).isFalse();
        assertThat(o.code()).isIn(code, code.replaceFirst("^trp-", ""));
        DeliveryLedger.Delivery row = latest(EC, program);
        assertThat(row.outcome()).isEqualTo("failed");
        assertThat(row.reasonCode()).isEqualTo(code);
        assertThat(row.reasonDetail()).isNotBlank();
        assertThat(row.finishedAt()).isNotNull();
    }

    private static DeliveryLedger.Delivery latest(String device, String program) {
        return fleet.deliveries(device).stream().filter(d -> program.equals(d.programId())).findFirst()
                .orElseThrow(() -> new AssertionError("no ledger row for " + program + " on " + device));
    }

    /** How the fake TRP signs its receipt: gets the receipt as it should be and its honest signature. */
    interface ReceiptSigner {
        String sign(InstallReceipt receipt, String honestSignature) throws Exception;
    }

    static KeyPair fakeKeys;
    static List<X509Certificate> fakeChain;

    /**
     * A TRP with a genuine certificate for {@link #FAKE} that fetches {@code program}, acknowledges
     * every window, never decrypts, and answers with the receipt {@code signer} makes (or, with
     * {@code replay}, the program fields of this delivery but the nonce and signature of an old one).
     */
    private FakeTrp.Result fakeDelivery(String program, ReceiptSigner signer, String[] replay) throws Exception {
        if (fakeKeys == null) {
            fakeKeys = ec();
            var csr = new JcaPKCS10CertificationRequestBuilder(CertificateProfile.deviceSubject(FAKE), fakeKeys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(fakeKeys.getPrivate()));
            fakeChain = List.of(fleet.pki.certifyDevice(FAKE, csr), fleet.pki.manufacturerCaCertificate());
        }
        FirstPathClient client = fleet.client();
        SessionResponse session = client.login("gina", SECRET);
        MessageDigest envelope = MessageDigest.getInstance("SHA-256");
        long[] received = {0};
        ChannelMessage.DeliveryStart[] start = new ChannelMessage.DeliveryStart[1];
        return FakeTrp.converse(client, session, FAKE, fakeKeys, fakeChain, fleet.pki.distributionCaCertificate(),
                batch -> {
                    List<ChannelMessage> out = new ArrayList<>();
                    boolean ended = false;
                    for (ChannelMessage m : batch) {
                        if (m instanceof ChannelMessage.HelloAck) {
                            out.add(new ChannelMessage.Fetch(program, "", ""));
                        } else if (m instanceof ChannelMessage.DeliveryStart s) {
                            start[0] = s;
                        } else if (m instanceof ChannelMessage.DeliveryChunk c) {
                            envelope.update(c.data());
                            received[0] += c.data().length;
                        } else if (m instanceof ChannelMessage.DeliveryEnd) {
                            ended = true;
                            String envSha = HexFormat.of().formatHex(envelope.digest());
                            InstallReceipt receipt = new InstallReceipt(FAKE, program, start[0].version(),
                                    start[0].programSha256(), envSha, session.sessionId(), start[0].serverNonce());
                            try {
                                String nonce = replay == null ? start[0].serverNonce() : replay[0];
                                String signature = replay == null ? signer.sign(receipt, sign(fakeKeys.getPrivate(), receipt))
                                        : replay[1];
                                out.add(new ChannelMessage.Receipt(program, start[0].version(), start[0].programSha256(),
                                        envSha, nonce, signature));
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    }
                    if (start[0] != null && !ended && received[0] > 0) {
                        out.add(new ChannelMessage.DeliveryAck(received[0]));
                    }
                    return out;
                });
    }

    private FakeTrp.Result fakeDelivery(String program, ReceiptSigner signer) throws Exception {
        return fakeDelivery(program, signer, null);
    }

    static String sign(PrivateKey key, InstallReceipt receipt) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(key);
        s.update(receipt.signedBytes());
        return Base64.getEncoder().encodeToString(s.sign());
    }

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    static byte[] bytes(int n) {
        return DeliveryIntegrationTest.random(n);
    }
}
