package dev.progdist.trp;

import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.envelope.EnvelopeException;
import dev.progdist.protocol.envelope.EnvelopeOpener;
import dev.progdist.protocol.envelope.OpenedEnvelope;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.DeviceKey;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.PkiException;
import dev.progdist.protocol.keys.SecretSource;
import dev.progdist.protocol.keys.Signatures;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * The sealed identity store of one emulated tamper-resistant processor:
 * {@code <home>/trp/<deviceId>/trp.p12}, password {@code trp-<deviceId>} from {@link SecretSource}.
 *
 * <p>Lifecycle: {@link #manufacture} generates the TRP's unique key pair inside this class, seals
 * the private key in the store (with a self-signed placeholder certificate, since PKCS#12 needs
 * one) and returns only a CSR. {@link #install} then replaces the placeholder with the chain
 * {@code [device certificate, manufacturer CA]} and records the distribution CA as the TRP's
 * trust anchor. Until then the store is <em>pending</em> and the identity cannot be used.
 *
 * <p>The store is the TRP's {@link DeviceKey}: receipt signing, envelope opening and the TLS client
 * end reach the key only through that interface, so a chip or an HSM could stand where this
 * software store stands.
 *
 * <p>Guarantees: the private key is never returned by any method and never written anywhere but
 * the (encrypted, owner-only) store; it is used only through the {@link DeviceKey} operations
 * ({@link #sign}, {@link #agree}, {@link #decryptRaw}, {@link #decryptOaepSha256},
 * {@link #tlsKeyManagers()}). Every failure of the store itself throws {@link PkiException}; the
 * key operations throw {@link GeneralSecurityException} as {@link DeviceKey} says, except
 * {@link #sign}, which throws {@link PkiException} as it always has.
 */
public final class TrpIdentityStore implements DeviceKey {

    public static final String STORE_FILE = "trp.p12";
    /** Alias of the TRP's identity key entry. */
    public static final String IDENTITY_ALIAS = "identity";
    /** Alias of the trusted-certificate entry for the CA of the server's second-path certificate. */
    public static final String DISTRIBUTION_CA_ALIAS = "distribution-ca";

    /** Not registered globally: progdist must not change the JVM's provider list. */
    private static final Provider BC = new BouncyCastleProvider();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    private final String deviceId;
    private final char[] password;
    /** Replaced only after a successful save, so memory never runs ahead of the disk. */
    private volatile KeyStore store;
    /**
     * The identity key unsealed once and kept in this object, as a chip keeps its key in its own
     * memory: unsealing runs the store's PBKDF2 (3.6 ms in {@code bench rollout}), and a delivery uses the
     * key three times (TLS handshake, envelope key, receipt). Cleared when {@link #install}
     * replaces the store.
     */
    private volatile Unsealed unsealed;

    /** The identity key's operations with its chain, and the TLS key managers over it. */
    private record Unsealed(DeviceKey operations, KeyManagerFactory keyManagers) {
    }

    private TrpIdentityStore(Path file, String deviceId, char[] password, KeyStore store) {
        this.file = file;
        this.deviceId = deviceId;
        this.password = password;
        this.store = store;
    }

    /** Password name of a TRP's store in {@link SecretSource}. */
    public static String passwordName(String deviceId) {
        return "trp-" + CertificateProfile.requireDeviceId(deviceId);
    }

    public static Path storeFile(Home home, String deviceId) {
        return home.trpDir(CertificateProfile.requireDeviceId(deviceId)).resolve(STORE_FILE);
    }

    /** Whether the TRP's key pair has been generated (the store exists; it may still be pending). */
    public static boolean isManufactured(Home home, String deviceId) {
        return Files.isRegularFile(storeFile(home, deviceId));
    }

    /**
     * Generates the TRP's key pair, seals the private key in a new store and returns the CSR
     * (subject {@code CN=<deviceId>}, signed with the new key) for the manufacturer CA. Refuses if
     * the store exists, unless {@code force}, which destroys the old identity.
     */
    public static PKCS10CertificationRequest manufacture(Home home, String deviceId, KeyType type, boolean force) {
        CertificateProfile.requireDeviceId(deviceId);
        if (type == null) {
            throw new PkiException("no key type for device " + deviceId);
        }
        Path file = storeFile(home, deviceId);
        if (Files.exists(file) && !force) {
            throw new PkiException("device " + deviceId + " is already manufactured (" + file
                    + "); pass --force to replace its identity");
        }
        String other = sameDeviceUnderAnotherSpelling(home, deviceId);
        if (other != null) {
            throw new PkiException("device " + deviceId + " would share its directory or password variable with "
                    + "device " + other + " in this home (IDs equal ignoring case and '_' against '-'): choose "
                    + "another ID");
        }
        KeyPair keys = generate(type);
        X500Name subject = CertificateProfile.name("CN=" + deviceId);
        ContentSigner signer = signer(type, keys.getPrivate());
        PKCS10CertificationRequest csr;
        X509Certificate placeholder;
        try {
            csr = new JcaPKCS10CertificationRequestBuilder(subject, keys.getPublic()).build(signer);
            // Placeholder only because PKCS#12 cannot hold a key without a certificate; never used.
            Instant now = Instant.now();
            X500Name placeholderName = CertificateProfile.name("CN=" + deviceId + ", OU=uncertified placeholder");
            placeholder = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                    placeholderName, new BigInteger(128, RANDOM).setBit(0), Date.from(now),
                    Date.from(now.plus(Duration.ofDays(1))), placeholderName, keys.getPublic())
                    .build(signer(type, keys.getPrivate())));
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot create the identity of device " + deviceId, e);
        }
        Home.ensurePrivateDirectory(file.getParent());
        char[] password = new SecretSource(home).getOrCreate(passwordName(deviceId));
        KeyStore store = KeyStores.create();
        try {
            store.setKeyEntry(IDENTITY_ALIAS, keys.getPrivate(), password, new Certificate[] {placeholder});
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot seal the key of device " + deviceId, e);
        }
        KeyStores.save(store, file, password);
        return csr;
    }

    /** Opens a manufactured TRP's store (pending or provisioned); fails if there is none. */
    /** A TRP of this home whose ID folds to the same as {@code deviceId} but is spelt otherwise, or null. */
    private static String sameDeviceUnderAnotherSpelling(Home home, String deviceId) {
        Path trps = home.trpDir(deviceId).getParent();
        if (!Files.isDirectory(trps)) {
            return null;
        }
        String folded = DeviceId.folded(deviceId);
        try (var dirs = Files.list(trps)) {
            return dirs.map(d -> d.getFileName().toString())
                    .filter(name -> !name.equals(deviceId) && DeviceId.isValid(name)
                            && DeviceId.folded(name).equals(folded))
                    .findFirst().orElse(null);
        } catch (java.io.IOException e) {
            throw new PkiException("cannot list the TRPs of " + trps, e);
        }
    }

    public static TrpIdentityStore open(Home home, String deviceId) {
        Path file = storeFile(home, deviceId);
        if (!Files.isRegularFile(file)) {
            throw new PkiException("device " + deviceId + " is not manufactured (no " + file + ")");
        }
        char[] password;
        try {
            password = new SecretSource(home).get(passwordName(deviceId));
        } catch (IllegalStateException e) {
            throw new PkiException(e.getMessage(), e);
        }
        KeyStore store = KeyStores.load(file, password);
        TrpIdentityStore trp = new TrpIdentityStore(file, deviceId, password, store);
        // fail now, not at first use, if the key entry is missing; a provisioned TRP unseals it here, once
        if (trp.isProvisioned()) {
            trp.unsealed();
        } else {
            trp.privateKey(store);
        }
        return trp;
    }

    /**
     * Installs the TRP's certificate. Checks that {@code deviceCert} certifies this TRP's own key,
     * names this device (see {@link CertificateProfile#deviceIdOf}) and is signed by
     * {@code manufacturerCa}; both CAs must be CA certificates. Validity dates are not checked
     * here (the verifier checks them at each use). Refuses if a certificate is already installed:
     * a chip's trust anchor is fixed at manufacture.
     */
    public void install(X509Certificate deviceCert, X509Certificate manufacturerCa, X509Certificate distributionCa) {
        if (deviceCert == null || manufacturerCa == null || distributionCa == null) {
            throw new PkiException("install needs the device certificate, the manufacturer CA and the distribution CA");
        }
        if (isProvisioned()) {
            throw new PkiException("device " + deviceId + " already has a certificate installed; manufacture it again"
                    + " with --force to replace its identity");
        }
        if (manufacturerCa.getBasicConstraints() < 0 || distributionCa.getBasicConstraints() < 0) {
            throw new PkiException("the manufacturer and distribution certificates must be CA certificates");
        }
        X509Certificate current = (X509Certificate) chainUnchecked()[0];
        if (!MessageDigest.isEqual(current.getPublicKey().getEncoded(), deviceCert.getPublicKey().getEncoded())) {
            throw new PkiException("the certificate is for another key than the one of device " + deviceId);
        }
        if (!deviceId.equals(CertificateProfile.deviceIdOf(deviceCert))) {
            throw new PkiException("the certificate names another device than " + deviceId);
        }
        if (!deviceCert.getIssuerX500Principal().equals(manufacturerCa.getSubjectX500Principal())) {
            throw new PkiException("the certificate of device " + deviceId + " is not issued by the given manufacturer CA");
        }
        try {
            deviceCert.verify(manufacturerCa.getPublicKey());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new PkiException("the certificate of device " + deviceId
                    + " is not signed by the given manufacturer CA", e);
        }
        KeyStore updated = KeyStores.create();
        try {
            updated.setKeyEntry(IDENTITY_ALIAS, privateKey(store), password, new Certificate[] {deviceCert, manufacturerCa});
            updated.setCertificateEntry(DISTRIBUTION_CA_ALIAS, distributionCa);
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot update the store of device " + deviceId, e);
        }
        KeyStores.save(updated, file, password);
        store = updated;
        unsealed = null;
    }

    // ---- identity --------------------------------------------------------------------------------

    public String deviceId() {
        return deviceId;
    }

    /** Whether {@link #install} has completed: the identity is usable. */
    public boolean isProvisioned() {
        try {
            return store.containsAlias(DISTRIBUTION_CA_ALIAS);
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot read the store of device " + deviceId, e);
        }
    }

    /** The key type of the identity key (known even while pending). */
    @Override
    public KeyType keyType() {
        return KeyType.of(((X509Certificate) chainUnchecked()[0]).getPublicKey());
    }

    /** The device certificate; fails while pending. */
    @Override
    public X509Certificate certificate() {
        return chain().get(0);
    }

    /** {@code [device certificate, manufacturer CA]}; fails while pending. */
    @Override
    public List<X509Certificate> chain() {
        requireProvisioned();
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : chainUnchecked()) {
            chain.add((X509Certificate) c);
        }
        return List.copyOf(chain);
    }

    /** The CA the TRP trusts for the server's second-path certificate; fails while pending. */
    public X509Certificate trustedDistributionCa() {
        requireProvisioned();
        try {
            return (X509Certificate) store.getCertificate(DISTRIBUTION_CA_ALIAS);
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot read the store of device " + deviceId, e);
        }
    }

    /** {@link Fingerprints#sha256} of the device certificate. */
    public String fingerprint() {
        return Fingerprints.sha256(certificate());
    }

    /** Signs {@code data} with the identity key (algorithm by {@link Signatures}); fails while pending. */
    @Override
    public byte[] sign(byte[] data) {
        requireProvisioned();
        try {
            return unsealed().operations().sign(data);
        } catch (GeneralSecurityException e) {
            throw new PkiException("device " + deviceId + " cannot sign", e);
        }
    }

    @Override
    public byte[] agree(ECPublicKey peer) throws GeneralSecurityException {
        return unsealed().operations().agree(peer);
    }

    @Override
    public byte[] decryptRaw(byte[] ciphertext) throws GeneralSecurityException {
        return unsealed().operations().decryptRaw(ciphertext);
    }

    @Override
    public byte[] decryptOaepSha256(byte[] ciphertext) throws GeneralSecurityException {
        return unsealed().operations().decryptOaepSha256(ciphertext);
    }

    /**
     * Opens a program envelope sealed for this TRP, with this store as the {@link DeviceKey}; the
     * plaintext goes to {@code plaintextOut} (deleted on failure). Fails while pending.
     */
    public OpenedEnvelope openEnvelope(Path envelope, Path plaintextOut) throws EnvelopeException {
        requireProvisioned();
        return EnvelopeOpener.open(envelope, this, plaintextOut);
    }

    /** {@link #keyManagers()}' key managers: the TLS client end's view of this key. */
    @Override
    public KeyManager[] tlsKeyManagers() {
        return keyManagers().getKeyManagers();
    }

    /**
     * Key managers presenting the identity key and chain, for the TRP's TLS client end only.
     * This is how the key reaches JSSE; code outside the TRP's TLS end must not call
     * {@code getPrivateKey} on them. Fails while pending.
     */
    public KeyManagerFactory keyManagers() {
        return unsealed().keyManagers();
    }

    /** Trust managers that accept only certificates chaining to {@link #trustedDistributionCa()}. */
    public TrustManagerFactory trustManagers() {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(KeyStores.trustStoreOf(trustedDistributionCa()));
            return factory;
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot create trust managers for device " + deviceId, e);
        }
    }

    // ---- internals -------------------------------------------------------------------------------

    private void requireProvisioned() {
        if (!isProvisioned()) {
            throw new PkiException("device " + deviceId + " has no certificate installed yet");
        }
    }

    /** The key's operations, unsealed on first use and kept (see {@link #unsealed}); fails while pending. */
    private Unsealed unsealed() {
        Unsealed u = unsealed;
        if (u != null) {
            return u;
        }
        requireProvisioned();
        KeyStore current = store;
        try {
            // SunX509 unwraps the PKCS#12 key once at init; the PKIX factory would run PBKDF2 on
            // every handshake (measured: half of a second-path handshake)
            KeyManagerFactory factory = KeyManagerFactory.getInstance("SunX509");
            factory.init(current, password);
            u = new Unsealed(DeviceKey.inMemory(privateKey(current), chain()), factory);
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot create key managers for device " + deviceId, e);
        }
        if (store == current) {
            unsealed = u;
        }
        return u;
    }

    private PrivateKey privateKey(KeyStore store) {
        try {
            Key key = store.getKey(IDENTITY_ALIAS, password);
            if (!(key instanceof PrivateKey)) {
                throw new PkiException("store " + file + " has no identity key entry");
            }
            return (PrivateKey) key;
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot unseal the key of device " + deviceId, e);
        }
    }

    private Certificate[] chainUnchecked() {
        try {
            Certificate[] chain = store.getCertificateChain(IDENTITY_ALIAS);
            if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
                throw new PkiException("store " + file + " has no identity certificate chain");
            }
            return chain;
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot read the store of device " + deviceId, e);
        }
    }

    private static KeyPair generate(KeyType type) {
        try {
            if (type == KeyType.EC_P256) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
                return generator.generateKeyPair();
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(3072, RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot generate a " + type + " key pair", e);
        }
    }

    private static ContentSigner signer(KeyType type, PrivateKey key) {
        try {
            return new JcaContentSignerBuilder(Signatures.algorithmFor(key)).setProvider(BC).build(key);
        } catch (OperatorCreationException | IllegalArgumentException e) {
            throw new PkiException("cannot create a " + type + " signer", e);
        }
    }
}
