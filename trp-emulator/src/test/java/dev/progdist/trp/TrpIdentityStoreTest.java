package dev.progdist.trp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.PkiException;
import dev.progdist.protocol.keys.SecretSource;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Key;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.X509KeyManager;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TrpIdentityStoreTest {

    private static final String DEVICE = "trp-42";

    @TempDir
    Path dir;

    private Home home() {
        return Home.at(dir);
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void manufactureReturnsCsrSignedByNewKeyAndSealsKey(KeyType type) throws Exception {
        PKCS10CertificationRequest csr = TrpIdentityStore.manufacture(home(), DEVICE, type, false);

        JcaPKCS10CertificationRequest jca = new JcaPKCS10CertificationRequest(csr);
        assertThat(csr.isSignatureValid(new JcaContentVerifierProviderBuilder()
                .setProvider(new BouncyCastleProvider()).build(jca.getPublicKey()))).isTrue();
        assertThat(csr.getSubject().toString()).isEqualToIgnoringCase("CN=" + DEVICE);
        assertThat(KeyType.of(csr.getSubjectPublicKeyInfo())).isEqualTo(type);
        if (type == KeyType.RSA_3072) {
            assertThat(((java.security.interfaces.RSAPublicKey) jca.getPublicKey()).getModulus().bitLength())
                    .isEqualTo(3072);
        }

        assertThat(TrpIdentityStore.isManufactured(home(), DEVICE)).isTrue();
        Path store = home().trpDir(DEVICE).resolve("trp.p12");
        assertThat(store).isRegularFile();
        assertThat(Files.getPosixFilePermissions(store)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(new SecretSource(home()).file("trp-" + DEVICE)))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));

        // the sealed key is the one the CSR was made for
        PrivateKey key = loadPrivateKey();
        assertThat(sigVerifies(key, jca.getPublicKey(), type)).isTrue();

        TrpIdentityStore trp = TrpIdentityStore.open(home(), DEVICE);
        assertThat(trp.keyType()).isEqualTo(type);
        assertThat(trp.deviceId()).isEqualTo(DEVICE);
        assertThat(trp.isProvisioned()).isFalse();
        // a pending identity cannot be used
        assertThatThrownBy(trp::certificate).isInstanceOf(PkiException.class).hasMessageContaining("no certificate");
        assertThatThrownBy(() -> trp.sign(new byte[] {1})).isInstanceOf(PkiException.class);
        assertThatThrownBy(trp::keyManagers).isInstanceOf(PkiException.class);
    }

    @Test
    void secondManufactureIsRefusedUnlessForced() throws Exception {
        PKCS10CertificationRequest first = TrpIdentityStore.manufacture(home(), DEVICE, KeyType.EC_P256, false);
        byte[] before = Files.readAllBytes(TrpIdentityStore.storeFile(home(), DEVICE));

        assertThatThrownBy(() -> TrpIdentityStore.manufacture(home(), DEVICE, KeyType.EC_P256, false))
                .isInstanceOf(PkiException.class).hasMessageContaining("already manufactured");
        assertThat(Files.readAllBytes(TrpIdentityStore.storeFile(home(), DEVICE))).isEqualTo(before);

        PKCS10CertificationRequest second = TrpIdentityStore.manufacture(home(), DEVICE, KeyType.EC_P256, true);
        assertThat(second.getSubjectPublicKeyInfo()).isNotEqualTo(first.getSubjectPublicKeyInfo());
        assertThat(TrpIdentityStore.open(home(), DEVICE).isProvisioned()).isFalse();
    }

    @Test
    void aDeviceSpeltLikeAnotherIsRefusedAndNothingIsWritten() throws Exception {
        TrpIdentityStore.manufacture(home(), "dev-1", KeyType.EC_P256, false);
        for (String twin : new String[] {"dev_1", "DEV-1", "Dev_1"}) {
            assertThatThrownBy(() -> TrpIdentityStore.manufacture(home(), twin, KeyType.EC_P256, false))
                    .as(twin).isInstanceOf(PkiException.class).hasMessageContaining("device dev-1");
            assertThat(home().trpDir(twin)).as(twin).doesNotExist();
        }
        assertThat(Files.exists(new SecretSource(home()).file(TrpIdentityStore.passwordName("dev_1")))).isFalse();
        // the same ID again is still only the "already manufactured" refusal, and --force still works
        TrpIdentityStore.manufacture(home(), "dev-1", KeyType.EC_P256, true);
    }

    @Test
    void invalidDeviceIdsAndMissingStoresAreRefused() {
        assertThatThrownBy(() -> TrpIdentityStore.manufacture(home(), "../x", KeyType.EC_P256, false))
                .isInstanceOf(PkiException.class).hasMessageContaining("invalid device ID");
        assertThatThrownBy(() -> TrpIdentityStore.open(home(), "nobody"))
                .isInstanceOf(PkiException.class).hasMessageContaining("not manufactured");
        assertThat(TrpIdentityStore.isManufactured(home(), "nobody")).isFalse();
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void privateKeyNeverAppearsInClearInAnyFile(KeyType type) throws Exception {
        TestCa manufacturer = TestCa.create("CN=test manufacturer");
        TestCa distribution = TestCa.create("CN=test distribution");
        PKCS10CertificationRequest csr = TrpIdentityStore.manufacture(home(), DEVICE, type, false);
        PublicKey publicKey = new JcaPKCS10CertificationRequest(csr).getPublicKey();
        TrpIdentityStore.open(home(), DEVICE).install(manufacturer.issueDevice(DEVICE, publicKey),
                manufacturer.certificate, distribution.certificate);

        PrivateKey key = loadPrivateKey();
        byte[] pkcs8 = key.getEncoded();
        byte[] secret = unsigned(key instanceof ECPrivateKey
                ? ((ECPrivateKey) key).getS() : ((RSAPrivateCrtKey) key).getPrivateExponent());

        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).collect(Collectors.toList());
        }
        // only the sealed store and its password exist: no temporary, pending or exported key files
        assertThat(files.stream().map(p -> dir.relativize(p).toString()).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("trp/" + DEVICE + "/trp.p12", "secrets/trp-" + DEVICE + ".password");
        for (Path file : files) {
            byte[] content = Files.readAllBytes(file);
            assertThat(indexOf(content, pkcs8)).as("PKCS#8 key in %s", file).isEqualTo(-1);
            assertThat(indexOf(content, secret)).as("raw private value in %s", file).isEqualTo(-1);
        }
        // and the key entry is in trp.p12 (it was loaded from there above)
        assertThat(key).isNotNull();
    }

    @Test
    void noPublicMethodReturnsThePrivateKey() {
        for (Method m : TrpIdentityStore.class.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers())) {
                assertThat(Key.class.isAssignableFrom(m.getReturnType())
                        && !PublicKey.class.isAssignableFrom(m.getReturnType())).as(m.toString()).isFalse();
                assertThat(m.getReturnType()).as(m.toString()).isNotEqualTo(KeyStore.class);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void installThenOpenGivesTheIdentity(KeyType type) throws Exception {
        TestCa manufacturer = TestCa.create("CN=test manufacturer");
        TestCa distribution = TestCa.create("CN=test distribution");
        PKCS10CertificationRequest csr = TrpIdentityStore.manufacture(home(), DEVICE, type, false);
        PublicKey publicKey = new JcaPKCS10CertificationRequest(csr).getPublicKey();
        var deviceCert = manufacturer.issueDevice(DEVICE, publicKey);

        TrpIdentityStore.open(home(), DEVICE).install(deviceCert, manufacturer.certificate, distribution.certificate);

        TrpIdentityStore trp = TrpIdentityStore.open(home(), DEVICE);
        assertThat(trp.isProvisioned()).isTrue();
        assertThat(trp.certificate()).isEqualTo(deviceCert);
        assertThat(trp.chain()).containsExactly(deviceCert, manufacturer.certificate);
        assertThat(trp.trustedDistributionCa()).isEqualTo(distribution.certificate);
        assertThat(trp.fingerprint()).isEqualTo(Fingerprints.sha256(deviceCert)).hasSize(64);
        assertThat(trp.keyType()).isEqualTo(type);

        byte[] data = "receipt".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] signature = trp.sign(data);
        Signature verifier = Signature.getInstance(type.signatureAlgorithm());
        verifier.initVerify(deviceCert.getPublicKey());
        verifier.update(data);
        assertThat(verifier.verify(signature)).isTrue();

        X509KeyManager km = (X509KeyManager) trp.keyManagers().getKeyManagers()[0];
        String alias = km.chooseClientAlias(new String[] {type == KeyType.EC_P256 ? "EC" : "RSA"}, null, null);
        assertThat(alias).isNotNull();
        assertThat(km.getCertificateChain(alias)).containsExactly(deviceCert, manufacturer.certificate);
        assertThat(trp.trustManagers().getTrustManagers()).isNotEmpty();

        // installing twice is refused: the trust anchor is fixed at manufacture
        assertThatThrownBy(() -> trp.install(deviceCert, manufacturer.certificate, distribution.certificate))
                .isInstanceOf(PkiException.class).hasMessageContaining("already has a certificate");
    }

    @Test
    void installRefusesCertificateForAnotherKey() throws Exception {
        TestCa manufacturer = TestCa.create("CN=test manufacturer");
        TestCa distribution = TestCa.create("CN=test distribution");
        TrpIdentityStore.manufacture(home(), DEVICE, KeyType.EC_P256, false);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        var foreign = manufacturer.issueDevice(DEVICE, g.generateKeyPair().getPublic());

        TrpIdentityStore trp = TrpIdentityStore.open(home(), DEVICE);
        assertThatThrownBy(() -> trp.install(foreign, manufacturer.certificate, distribution.certificate))
                .isInstanceOf(PkiException.class).hasMessageContaining("another key");
        assertThat(TrpIdentityStore.open(home(), DEVICE).isProvisioned()).isFalse();
    }

    @Test
    void installRefusesCertificateNotSignedByTheManufacturer() throws Exception {
        TestCa manufacturer = TestCa.create("CN=test manufacturer");
        TestCa impostor = TestCa.create("CN=test manufacturer"); // same name, other key
        TestCa otherName = TestCa.create("CN=someone else");
        TestCa distribution = TestCa.create("CN=test distribution");
        PKCS10CertificationRequest csr = TrpIdentityStore.manufacture(home(), DEVICE, KeyType.EC_P256, false);
        PublicKey publicKey = new JcaPKCS10CertificationRequest(csr).getPublicKey();
        TrpIdentityStore trp = TrpIdentityStore.open(home(), DEVICE);

        var byImpostor = impostor.issueDevice(DEVICE, publicKey);
        assertThatThrownBy(() -> trp.install(byImpostor, manufacturer.certificate, distribution.certificate))
                .isInstanceOf(PkiException.class).hasMessageContaining("not signed by the given manufacturer CA");
        var byOther = otherName.issueDevice(DEVICE, publicKey);
        assertThatThrownBy(() -> trp.install(byOther, manufacturer.certificate, distribution.certificate))
                .isInstanceOf(PkiException.class).hasMessageContaining("manufacturer CA");
        // a device certificate is not a CA
        var good = manufacturer.issueDevice(DEVICE, publicKey);
        assertThatThrownBy(() -> trp.install(good, good, distribution.certificate))
                .isInstanceOf(PkiException.class).hasMessageContaining("CA certificates");
        // a certificate naming another device
        var otherDevice = manufacturer.issueDevice("trp-43", publicKey);
        assertThatThrownBy(() -> trp.install(otherDevice, manufacturer.certificate, distribution.certificate))
                .isInstanceOf(PkiException.class).hasMessageContaining("another device");
        assertThat(TrpIdentityStore.open(home(), DEVICE).isProvisioned()).isFalse();

        trp.install(good, manufacturer.certificate, distribution.certificate);
        assertThat(TrpIdentityStore.open(home(), DEVICE).certificate()).isEqualTo(good);
    }

    @Test
    void openNeedsThePassword() throws Exception {
        TrpIdentityStore.manufacture(home(), DEVICE, KeyType.EC_P256, false);
        Files.writeString(new SecretSource(home()).file("trp-" + DEVICE), "guessed-Pa55word");
        assertThatThrownBy(() -> TrpIdentityStore.open(home(), DEVICE))
                .isInstanceOf(PkiException.class).hasMessageContaining("wrong password")
                .hasMessageNotContaining("guessed-Pa55word");
        Files.delete(new SecretSource(home()).file("trp-" + DEVICE));
        assertThatThrownBy(() -> TrpIdentityStore.open(home(), DEVICE))
                .isInstanceOf(PkiException.class).hasMessageContaining("trp-" + DEVICE);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** Reads the key straight from the store, as only a test may. */
    private PrivateKey loadPrivateKey() throws Exception {
        char[] password = new SecretSource(home(), Map.of()).get("trp-" + DEVICE);
        KeyStore store = KeyStores.load(home().trpDir(DEVICE).resolve("trp.p12"), password);
        assertThat(store.isKeyEntry("identity")).isTrue();
        return (PrivateKey) store.getKey("identity", password);
    }

    private static boolean sigVerifies(PrivateKey key, PublicKey pub, KeyType type) throws Exception {
        Signature s = Signature.getInstance(type.signatureAlgorithm());
        s.initSign(key);
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        Signature v = Signature.getInstance(type.signatureAlgorithm());
        v.initVerify(pub);
        v.update(new byte[] {1, 2, 3});
        return v.verify(sig);
    }

    private static byte[] unsigned(BigInteger value) {
        byte[] bytes = value.toByteArray();
        return bytes[0] == 0 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
