package dev.progdist.protocol.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyStoresTest {

    private static final char[] PASSWORD = "test-only-password".toCharArray();

    @TempDir
    Path dir;

    @Test
    void saveIsOwnerOnlyAndLoadsBack() throws Exception {
        KeyPair keys = TestCertificates.ecKeyPair("secp256r1");
        X509Certificate cert = TestCertificates.selfSigned(CertificateProfile.name("CN=k"), keys);
        KeyStore store = KeyStores.create();
        store.setKeyEntry("k", keys.getPrivate(), PASSWORD, new Certificate[] {cert});
        Path file = dir.resolve("sub").resolve("k.p12");

        KeyStores.save(store, file, PASSWORD);

        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        KeyStore loaded = KeyStores.load(file, PASSWORD);
        assertThat(loaded.getKey("k", PASSWORD)).isEqualTo(keys.getPrivate());
        assertThat(loaded.getCertificate("k")).isEqualTo(cert);
        assertThat(loaded.getType()).isEqualToIgnoringCase("PKCS12");
    }

    @Test
    void saveReplacesAtomicallyAndLeavesNoTemporaryFile() throws Exception {
        Path file = dir.resolve("t.p12");
        KeyStores.save(KeyStores.trustStoreOf(TestCertificates.selfSigned("CN=one")), file, PASSWORD);
        X509Certificate two = TestCertificates.selfSigned("CN=two");
        KeyStores.save(KeyStores.trustStoreOf(two), file, PASSWORD);

        assertThat(KeyStores.load(file, PASSWORD).getCertificate("anchor-0")).isEqualTo(two);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void wrongPasswordMissingFileAndGarbageFailClosed() throws Exception {
        Path file = dir.resolve("t.p12");
        KeyStores.save(KeyStores.trustStoreOf(TestCertificates.selfSigned("CN=one")), file, PASSWORD);

        assertThatThrownBy(() -> KeyStores.load(file, "not-it".toCharArray()))
                .isInstanceOf(PkiException.class).hasMessageContaining("wrong password")
                .hasMessageNotContaining("not-it");
        assertThatThrownBy(() -> KeyStores.load(dir.resolve("none.p12"), PASSWORD))
                .isInstanceOf(PkiException.class).hasMessageContaining("does not exist");
        Path garbage = Files.writeString(dir.resolve("g.p12"), "garbage");
        assertThatThrownBy(() -> KeyStores.load(garbage, PASSWORD)).isInstanceOf(PkiException.class);
    }

    @Test
    void trustStoreHoldsExactlyTheAnchors() throws Exception {
        X509Certificate a = TestCertificates.selfSigned("CN=a");
        X509Certificate b = TestCertificates.selfSigned("CN=b");
        KeyStore trust = KeyStores.trustStoreOf(a, b);
        assertThat(Collections.list(trust.aliases())).hasSize(2);
        assertThat(trust.isCertificateEntry("anchor-0")).isTrue();
        assertThat(trust.getCertificate("anchor-0")).isEqualTo(a);
        assertThat(trust.getCertificate("anchor-1")).isEqualTo(b);
        assertThatThrownBy(KeyStores::trustStoreOf).isInstanceOf(PkiException.class);
    }
}
