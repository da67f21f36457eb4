package dev.progdist.bench;

import dev.progdist.protocol.keys.Signatures;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Single-threaded rates of the public-key operations a second-path handshake is made of, per
 * provider: each operation is warmed up, then repeated for about {@link #MEASURE_NANOS}.
 */
public final class ProviderRates {

    static final long WARMUP_NANOS = 300_000_000L;
    static final long MEASURE_NANOS = 1_000_000_000L;

    /** One row: what was measured and how fast. */
    public record Rate(String operation, String provider, double perSecond) {
        public double microsPerOp() {
            return 1e6 / perSecond;
        }
    }

    @FunctionalInterface
    interface Op {
        void run() throws GeneralSecurityException;
    }

    private final byte[] message = new byte[130]; // about what a TLS 1.3 CertificateVerify signs
    private final SecureRandom random = new SecureRandom();

    public ProviderRates() {
        random.nextBytes(message);
    }

    /** Measures every row; takes about 1.3 s per row plus RSA key generation. */
    public List<Rate> measure() throws GeneralSecurityException {
        List<Rate> rates = new ArrayList<>();
        KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ec = ecGen.generateKeyPair();
        Provider sunEc = Signature.getInstance(Signatures.ECDSA_P256_SHA256, "SunEC").getProvider();
        Provider bc = new BouncyCastleProvider(); // an instance only, not registered with Security
        for (Provider p : List.of(sunEc, bc)) {
            rates.add(signRate("ECDSA P-256 SHA-256 sign", Signature.getInstance(Signatures.ECDSA_P256_SHA256, p), ec));
            rates.add(verifyRate("ECDSA P-256 SHA-256 verify", Signature.getInstance(Signatures.ECDSA_P256_SHA256, p), ec));
        }

        KeyPairGenerator xGen = KeyPairGenerator.getInstance("X25519");
        KeyPair x1 = xGen.generateKeyPair();
        KeyPair x2 = xGen.generateKeyPair();
        KeyAgreement xdh = KeyAgreement.getInstance("X25519");
        rates.add(rate("X25519 key agreement", xdh.getProvider(), () -> {
            xdh.init(x1.getPrivate());
            xdh.doPhase(x2.getPublic(), true);
            xdh.generateSecret();
        }));
        rates.add(rate("X25519 key pair generation", xGen.getProvider(), xGen::generateKeyPair));
        KeyPair e2 = ecGen.generateKeyPair();
        KeyAgreement ecdh = KeyAgreement.getInstance("ECDH");
        rates.add(rate("ECDH P-256 key agreement", ecdh.getProvider(), () -> {
            ecdh.init(ec.getPrivate());
            ecdh.doPhase(e2.getPublic(), true);
            ecdh.generateSecret();
        }));

        KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
        rsaGen.initialize(3072);
        KeyPair rsa = rsaGen.generateKeyPair();
        PSSParameterSpec pss = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);
        Signature pssSign = Signature.getInstance("RSASSA-PSS");
        pssSign.setParameter(pss);
        rates.add(signRate("RSA-3072 PSS SHA-256 sign", pssSign, rsa));
        Signature pssVerify = Signature.getInstance("RSASSA-PSS");
        pssVerify.setParameter(pss);
        rates.add(verifyRate("RSA-3072 PSS SHA-256 verify", pssVerify, rsa));
        return rates;
    }

    private Rate signRate(String operation, Signature signature, KeyPair keys) throws GeneralSecurityException {
        return rate(operation, signature.getProvider(), () -> {
            signature.initSign(keys.getPrivate(), random);
            signature.update(message);
            signature.sign();
        });
    }

    private Rate verifyRate(String operation, Signature signature, KeyPair keys) throws GeneralSecurityException {
        signature.initSign(keys.getPrivate(), random);
        signature.update(message);
        byte[] sig = signature.sign();
        return rate(operation, signature.getProvider(), () -> {
            signature.initVerify(keys.getPublic());
            signature.update(message);
            if (!signature.verify(sig)) {
                throw new GeneralSecurityException(operation + ": signature did not verify");
            }
        });
    }

    private static Rate rate(String operation, Provider provider, Op op) throws GeneralSecurityException {
        long start = System.nanoTime();
        while (System.nanoTime() - start < WARMUP_NANOS) {
            op.run();
        }
        long ops = 0;
        start = System.nanoTime();
        long elapsed;
        do {
            op.run();
            ops++;
            elapsed = System.nanoTime() - start;
        } while (elapsed < MEASURE_NANOS);
        return new Rate(operation, provider.getName() + " " + provider.getVersionStr(), ops / (elapsed / 1e9));
    }

    /** Which provider the JDK (and so JSSE, which asks by algorithm name) gets for each algorithm TLS 1.3 uses here. */
    public static Map<String, String> defaultProviders() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("Signature " + Signatures.ECDSA_P256_SHA256, name(() -> Signature.getInstance(Signatures.ECDSA_P256_SHA256).getProvider()));
        m.put("Signature RSASSA-PSS", name(() -> Signature.getInstance("RSASSA-PSS").getProvider()));
        m.put("KeyAgreement XDH (x25519)", name(() -> KeyAgreement.getInstance("XDH").getProvider()));
        m.put("KeyAgreement ECDH (secp256r1)", name(() -> KeyAgreement.getInstance("ECDH").getProvider()));
        m.put("Cipher AES/GCM/NoPadding", name(() -> Cipher.getInstance("AES/GCM/NoPadding").getProvider()));
        m.put("Mac HmacSHA256 (HKDF)", name(() -> Mac.getInstance("HmacSHA256").getProvider()));
        m.put("CertPathValidator PKIX", name(() -> java.security.cert.CertPathValidator.getInstance("PKIX")
                .getProvider()));
        m.put("Bouncy Castle registered globally", Security.getProvider("BC") == null ? "no" : "yes");
        return m;
    }

    @FunctionalInterface
    private interface ProviderLookup {
        Provider get() throws GeneralSecurityException;
    }

    private static String name(ProviderLookup lookup) {
        try {
            Provider p = lookup.get();
            return p.getName() + " " + p.getVersionStr();
        } catch (GeneralSecurityException e) {
            return "unavailable (" + e.getMessage() + ")";
        }
    }
}
