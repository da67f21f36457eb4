package dev.progdist.processors.pki;

import dev.progdist.devpki.CertificateAuthority;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.SecretSource;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Keys, CSRs and hand-made certificates for the PKI tests. */
final class PkiFixtures {

    private static KeyPair rsa3072;

    private PkiFixtures() {
    }

    static KeyPair ec(String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair ec() {
        return ec("secp256r1");
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

    /** One RSA 3072 key pair for the whole run: generating it takes a while. */
    static synchronized KeyPair rsa3072() {
        if (rsa3072 == null) {
            rsa3072 = rsa(3072);
        }
        return rsa3072;
    }

    static PKCS10CertificationRequest csr(KeyPair keys) {
        try {
            PublicKey pub = keys.getPublic();
            String alg = pub.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=ignored"), pub)
                    .build(new JcaContentSignerBuilder(alg).build(keys.getPrivate()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The CA in {@code pki/<name>.p12} with its private key, password from the PKI's secrets. */
    static CertificateAuthority loadCa(Home home, String name) {
        X509Certificate cert = name.equals(DevelopmentPki.MANUFACTURER_CA_PASSWORD)
                ? DevelopmentPki.open(home).manufacturerCaCertificate()
                : DevelopmentPki.open(home).distributionCaCertificate();
        return new CertificateAuthority(caPrivateKey(home, name), cert);
    }

    static PrivateKey caPrivateKey(Home home, String name) {
        try {
            char[] password = new SecretSource(home, Map.of()).get(name);
            KeyStore store = KeyStores.load(home.pkiDir().resolve(name + ".p12"), password);
            return (PrivateKey) store.getKey(DevelopmentPki.CA_ALIAS, password);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static CertificateAuthority manufacturer(Home home) {
        return loadCa(home, DevelopmentPki.MANUFACTURER_CA_PASSWORD);
    }

    static CertificateAuthority distribution(Home home) {
        return loadCa(home, DevelopmentPki.DISTRIBUTION_CA_PASSWORD);
    }

    /**
     * A certificate built by hand (for shapes {@link CertificateAuthority} refuses to make):
     * {@code subject} with {@code subjectKey}, named as issued by {@code issuer}, signed with
     * {@code signingKey}, digitalSignature + EKU clientAuth, CA flag as given.
     */
    static X509Certificate handMade(X500Name issuer, PrivateKey signingKey, X500Name subject, PublicKey subjectKey,
            boolean ca, Instant notBefore, Instant notAfter) {
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(4242),
                    Date.from(notBefore), Date.from(notAfter), subject, subjectKey)
                    .addExtension(Extension.basicConstraints, true, ca ? new BasicConstraints(0) : new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature
                            | (ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : 0)))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            String alg = signingKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(alg).build(signingKey)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Path crlOf(Home home) {
        return DevelopmentPki.crlFile(home);
    }
}
