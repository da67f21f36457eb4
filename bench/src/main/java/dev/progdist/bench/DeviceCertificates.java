package dev.progdist.bench;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Device certificates for the sealing measurements, made once: a fresh key pair per device (EC
 * P-256 for even indexes, RSA 3072 for odd ones), a CSR signed with it, certified by the bench
 * home's development manufacturer CA exactly as {@code trp manufacture} has a TRP certified. The
 * private keys are dropped: sealing needs only the certificates.
 */
public final class DeviceCertificates {

    public record Device(String id, KeyType type, X509Certificate certificate) {
    }

    private DeviceCertificates() {
    }

    public static List<Device> make(Home home, int count) {
        // key generation (RSA 3072 dominates) on every core; certification one at a time (it writes the CA's index)
        List<KeyPair> keys = IntStream.range(0, count).parallel().mapToObj(i -> generate(typeOf(i))).toList();
        DevelopmentPki pki = DevelopmentPki.open(home);
        List<Device> devices = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            KeyType type = typeOf(i);
            String id = String.format("bench-%s-%04d", type.cliName(), i);
            devices.add(new Device(id, type, pki.certifyDevice(id, csr(id, type, keys.get(i)))));
        }
        return devices;
    }

    static KeyType typeOf(int index) {
        return index % 2 == 0 ? KeyType.EC_P256 : KeyType.RSA_3072;
    }

    private static KeyPair generate(KeyType type) {
        try {
            if (type == KeyType.EC_P256) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"));
                return g.generateKeyPair();
            }
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(3072);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + type.cliName() + " key pair", e);
        }
    }

    private static PKCS10CertificationRequest csr(String id, KeyType type, KeyPair keys) {
        try {
            return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + id), keys.getPublic())
                    .build(new JcaContentSignerBuilder(type.signatureAlgorithm()).build(keys.getPrivate()));
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("cannot sign the CSR of " + id, e);
        }
    }
}
