package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** TRP key pairs and certificates issued by one test CA; RSA keys are generated once per test run. */
final class TestTrps {

    /** A TRP: its private key and its certificate. */
    record Trp(String name, PrivateKey key, X509Certificate certificate) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final KeyPair CA = ec();
    private static final X500Name CA_NAME = CertificateProfile.name(CertificateProfile.MANUFACTURER_CA_SUBJECT);

    static final Trp EC_A = issue("ec-a", ec(), usageFor(true));
    static final Trp EC_B = issue("ec-b", ec(), usageFor(true));
    static final Trp RSA_A = issue("rsa-a", rsa(3072), usageFor(false));
    static final Trp RSA_B = issue("rsa-b", rsa(3072), usageFor(false));

    private TestTrps() {
    }

    static Trp of(String keyType, boolean first) {
        return "ec".equals(keyType) ? (first ? EC_A : EC_B) : (first ? RSA_A : RSA_B);
    }

    static int usageFor(boolean ec) {
        return KeyUsage.digitalSignature | (ec ? KeyUsage.keyAgreement : KeyUsage.keyEncipherment);
    }

    static KeyPair ec() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Trp issue(String deviceId, KeyPair keys, int keyUsage) {
        try {
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(CA_NAME,
                    new BigInteger(64, new SecureRandom()).setBit(63), Date.from(now.minusSeconds(60)),
                    Date.from(now.plusSeconds(3600)), CertificateProfile.deviceSubject(deviceId), keys.getPublic())
                    .addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(CA.getPrivate())));
            return new Trp(deviceId, keys.getPrivate(), cert);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
