package dev.progdist.protocol.keys;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.List;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import org.bouncycastle.crypto.engines.RSABlindedEngine;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.util.BigIntegers;

/** {@link DeviceKey#inMemory}: the operations done with JCA and Bouncy Castle on a key in memory. */
final class SoftwareDeviceKey implements DeviceKey {

    /** Protects nothing: the store lives only inside the key manager factory. */
    private static final char[] STORE_PASSWORD = "in-memory".toCharArray();

    private final PrivateKey key;
    private final List<X509Certificate> chain;

    SoftwareDeviceKey(PrivateKey key, List<X509Certificate> chain) {
        this.key = Objects.requireNonNull(key, "key");
        this.chain = List.copyOf(chain);
        if (this.chain.isEmpty()) {
            throw new IllegalArgumentException("a device key needs its certificate");
        }
    }

    @Override
    public X509Certificate certificate() {
        return chain.get(0);
    }

    @Override
    public List<X509Certificate> chain() {
        return chain;
    }

    @Override
    public byte[] sign(byte[] message) throws GeneralSecurityException {
        try {
            return Signatures.sign(key, message);
        } catch (IllegalArgumentException e) {
            throw new InvalidKeyException("the device key signs with no supported algorithm");
        }
    }

    @Override
    public byte[] agree(ECPublicKey peer) throws GeneralSecurityException {
        if (!(key instanceof ECPrivateKey)) {
            throw new InvalidKeyException("not an EC key");
        }
        // the JDK's ECDH checks that the peer point is on the curve and of the right order
        KeyAgreement ecdh = KeyAgreement.getInstance("ECDH");
        ecdh.init(key);
        ecdh.doPhase(peer, true);
        return ecdh.generateSecret();
    }

    @Override
    public byte[] decryptRaw(byte[] ciphertext) throws GeneralSecurityException {
        RSAKeyParameters rsa = rsaParameters();
        int modulusBytes = (rsa.getModulus().bitLength() + 7) / 8;
        try {
            // the blinded engine keeps the private-key operation constant-pattern; it refuses c >= n
            RSABlindedEngine engine = new RSABlindedEngine();
            engine.init(false, new ParametersWithRandom(rsa, new SecureRandom()));
            byte[] raw = engine.processBlock(ciphertext, 0, ciphertext.length);
            byte[] fixed = BigIntegers.asUnsignedByteArray(modulusBytes, new BigInteger(1, raw));
            java.util.Arrays.fill(raw, (byte) 0);
            return fixed;
        } catch (RuntimeException e) {
            throw new GeneralSecurityException("RSA decryption failed");
        }
    }

    @Override
    public byte[] decryptOaepSha256(byte[] ciphertext) throws GeneralSecurityException {
        if (!(key instanceof RSAPrivateKey)) {
            throw new InvalidKeyException("not an RSA key");
        }
        Cipher oaep = Cipher.getInstance("RSA/NONE/OAEPPadding", BouncyCastle.provider());
        oaep.init(Cipher.DECRYPT_MODE, key, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
                PSource.PSpecified.DEFAULT));
        return oaep.doFinal(ciphertext);
    }

    @Override
    public KeyManager[] tlsKeyManagers() throws GeneralSecurityException {
        KeyStore store = KeyStores.create();
        store.setKeyEntry("device", key, STORE_PASSWORD, chain.toArray(new Certificate[0]));
        KeyManagerFactory factory = KeyManagerFactory.getInstance("SunX509");
        factory.init(store, STORE_PASSWORD);
        return factory.getKeyManagers();
    }

    private RSAKeyParameters rsaParameters() throws GeneralSecurityException {
        if (!(key instanceof RSAPrivateKey)) {
            throw new InvalidKeyException("not an RSA key");
        }
        try {
            RSAKeyParameters rsa = (RSAKeyParameters) PrivateKeyFactory.createKey(key.getEncoded());
            if (rsa.isPrivate()) {
                return rsa;
            }
        } catch (java.io.IOException | RuntimeException e) {
            // refused below
        }
        throw new InvalidKeyException("not a usable RSA private key");
    }
}
