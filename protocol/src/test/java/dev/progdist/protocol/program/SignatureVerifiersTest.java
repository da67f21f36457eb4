package dev.progdist.protocol.program;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.keys.InvalidSignatureException;
import dev.progdist.protocol.keys.Signatures;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link ReceiptVerifier}, {@link PublisherSignatureVerifier} and {@link Signatures}, for EC P-256 and RSA 3072 keys. */
class SignatureVerifiersTest {

    private static final Map<String, KeyPair> KEYS = Map.of("EC", keyPair("EC"), "RSA", keyPair("RSA"));
    private static final Map<String, KeyPair> OTHER_KEYS = Map.of("EC", keyPair("EC"), "RSA", keyPair("RSA"));

    private static final InstallReceipt RECEIPT = new InstallReceipt("trp-1", "editor", "1.0", "a".repeat(64),
            "b".repeat(64), "session_1", "nonce-1");
    private static final ProgramStatement STATEMENT = new ProgramStatement("editor", "1.0", "c".repeat(64), 42);

    @ParameterizedTest
    @ValueSource(strings = {"EC", "RSA"})
    void aValidSignatureIsAccepted(String type) throws Exception {
        KeyPair keys = KEYS.get(type);
        X509Certificate cert = certificate(keys);
        ReceiptVerifier receipts = ReceiptVerifier.forDevice(cert);
        PublisherSignatureVerifier statements = PublisherSignatureVerifier.forPublisher(cert);

        assertThatCode(() -> receipts.verify(RECEIPT, Signatures.sign(keys.getPrivate(), RECEIPT.signedBytes())))
                .doesNotThrowAnyException();
        String wire = Base64.getEncoder().encodeToString(Signatures.sign(keys.getPrivate(), STATEMENT.signedBytes()));
        assertThatCode(() -> statements.verify(STATEMENT, Signatures.decodeBase64(wire))).doesNotThrowAnyException();
        assertThat(STATEMENT.isSignedBy(keys.getPublic(), wire)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"EC", "RSA"})
    void everyBadSignatureIsRefusedWithTheOneMessage(String type) throws Exception {
        KeyPair keys = KEYS.get(type);
        X509Certificate cert = certificate(keys);
        ReceiptVerifier receipts = ReceiptVerifier.forDevice(cert);
        PublisherSignatureVerifier statements = PublisherSignatureVerifier.forPublisher(cert);
        byte[] good = Signatures.sign(keys.getPrivate(), RECEIPT.signedBytes());

        byte[] forged = good.clone();
        forged[forged.length - 1] ^= 1;
        byte[] byOtherKey = Signatures.sign(OTHER_KEYS.get(type).getPrivate(), RECEIPT.signedBytes());
        InstallReceipt otherReceipt = new InstallReceipt("trp-1", "editor", "1.0", "a".repeat(64), "b".repeat(64),
                "session_1", "nonce-2");
        byte[] truncated = Arrays.copyOf(good, good.length - 1);
        byte[] extended = Arrays.copyOf(good, good.length + 1);
        byte[] malformedDer = good.clone();
        malformedDer[0] ^= 0x01; // ECDSA: SET (0x31) instead of SEQUENCE; RSA: another integer, always changed

        for (byte[] bad : new byte[][] {forged, byOtherKey, truncated, extended, malformedDer, new byte[0], null,
            new byte[Signatures.MAX_SIGNATURE_BYTES + 1]}) {
            assertRefused(() -> receipts.verify(RECEIPT, bad));
        }
        assertRefused(() -> receipts.verify(otherReceipt, good));
        assertRefused(() -> receipts.verify(null, good));
        assertRefused(() -> ReceiptVerifier.forDevice(certificate(OTHER_KEYS.get(type))).verify(RECEIPT, good));

        byte[] statementSignature = Signatures.sign(keys.getPrivate(), STATEMENT.signedBytes());
        ProgramStatement renamed = new ProgramStatement("editor", "2.0", STATEMENT.sha256(), STATEMENT.size());
        ProgramStatement resized = new ProgramStatement("editor", "1.0", STATEMENT.sha256(), STATEMENT.size() + 1);
        assertRefused(() -> statements.verify(renamed, statementSignature));
        assertRefused(() -> statements.verify(resized, statementSignature));
        assertRefused(() -> statements.verify(STATEMENT, good)); // a receipt signature is not a statement signature
        assertRefused(() -> statements.verify(STATEMENT, Arrays.copyOf(statementSignature, 8)));
        assertThat(renamed.isSignedBy(keys.getPublic(), Base64.getEncoder().encodeToString(statementSignature)))
                .isFalse();
    }

    @Test
    void malformedBase64IsAnInvalidSignature() {
        for (String bad : new String[] {"", "not base64!", "QUJD\nREVG", "QUJ", "QUJD=", "-_-_", "A".repeat(2000)}) {
            assertRefused(() -> Signatures.decodeBase64(bad));
        }
        assertRefused(() -> Signatures.decodeBase64(null));
        assertThat(STATEMENT.isSignedBy(KEYS.get("EC").getPublic(), "not base64!")).isFalse();
    }

    @Test
    void theAlgorithmIsChosenByTheKey() throws Exception {
        assertThat(Signatures.algorithmFor(KEYS.get("EC").getPublic())).isEqualTo("SHA256withECDSA");
        assertThat(Signatures.algorithmFor(KEYS.get("RSA").getPublic())).isEqualTo("SHA256withRSA");
        assertThat(Signatures.algorithmFor(KEYS.get("EC").getPrivate())).isEqualTo("SHA256withECDSA");
        assertThat(Signatures.algorithmFor(KEYS.get("RSA").getPrivate())).isEqualTo("SHA256withRSA");
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPair other = p384.generateKeyPair();
        assertThatThrownBy(() -> Signatures.algorithmFor(other.getPublic())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Signatures.algorithmFor(other.getPrivate())).isInstanceOf(IllegalArgumentException.class);
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        assertThatThrownBy(() -> Signatures.algorithmFor(ed.getPublic())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PublisherSignatureVerifier.forKey(other.getPublic()))
                .isInstanceOf(IllegalArgumentException.class);
        // a key of an unsupported type verifies nothing, with the same exception
        assertRefused(() -> Signatures.verify(other.getPublic(), RECEIPT.signedBytes(),
                Signatures.sign(KEYS.get("EC").getPrivate(), RECEIPT.signedBytes())));
    }

    private interface Check {
        void run() throws Exception;
    }

    private static void assertRefused(Check check) {
        assertThatThrownBy(check::run).isExactlyInstanceOf(InvalidSignatureException.class)
                .hasMessage(InvalidSignatureException.MESSAGE).hasNoCause();
    }

    private static KeyPair keyPair(String type) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(type);
            if (type.equals("EC")) {
                g.initialize(new ECGenParameterSpec("secp256r1"));
            } else {
                g.initialize(3072);
            }
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate certificate(KeyPair keys) throws Exception {
        X500Name name = new X500Name("CN=trp-1");
        Instant now = Instant.now();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                BigInteger.ONE, Date.from(now), Date.from(now.plusSeconds(3600)), name, keys.getPublic())
                .build(new JcaContentSignerBuilder(Signatures.algorithmFor(keys.getPrivate())).build(keys.getPrivate())));
    }
}
