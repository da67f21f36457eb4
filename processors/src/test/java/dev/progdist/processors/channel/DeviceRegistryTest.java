package dev.progdist.processors.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.processors.testing.TestDatabases;
import dev.progdist.protocol.keys.Pem;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry's stored certificates and tags (what rollouts select and exclude by). */
class DeviceRegistryTest {

    @TempDir
    Path dir;
    Database db;
    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    DeviceRegistry registry;

    @BeforeEach
    void open() throws Exception {
        db = openDatabase();
        UserDirectory users = new UserDirectory(db, new PasswordHasher(1024, 1, 1), clock);
        users.addUser("alice", "a-long-enough-secret".toCharArray(), Role.USER, false);
        users.addUser("bob", "a-long-enough-secret".toCharArray(), Role.USER, false);
        registry = new DeviceRegistry(db, clock);
    }

    @AfterEach
    void close() throws Exception {
        closeDatabase();
    }

    Database openDatabase() throws Exception {
        return TestDatabases.open(dir);
    }

    void closeDatabase() throws Exception {
        db.close();
    }

    @Test
    void theCertificateIsStoredAtRegistrationAndWhenSeenAndKeptOtherwise() throws Exception {
        X509Certificate first = selfSigned("dev-1", Instant.parse("2030-01-01T00:00:00Z"));
        registry.register("dev-1", "alice", "olga", first);
        assertThat(registry.certificatePem("dev-1")).hasValue(Pem.toPem(first));
        assertThat(registry.find("dev-1").orElseThrow().certificateNotAfter())
                .isEqualTo(Instant.parse("2030-01-01T00:00:00Z"));

        registry.register("dev-1", "bob", "olga");
        assertThat(registry.certificatePem("dev-1")).as("kept when none is given").hasValue(Pem.toPem(first));

        X509Certificate renewed = selfSigned("dev-1", Instant.parse("2031-06-01T00:00:00Z"));
        registry.seen("dev-1", "fingerprint", renewed);
        assertThat(registry.certificatePem("dev-1")).hasValue(Pem.toPem(renewed));
        assertThat(registry.find("dev-1").orElseThrow().certificateNotAfter())
                .isEqualTo(Instant.parse("2031-06-01T00:00:00Z"));

        registry.register("dev-2", "alice", "olga");
        assertThat(registry.certificatePem("dev-2")).isEmpty();
        assertThat(registry.find("dev-2").orElseThrow().certificateNotAfter()).isNull();
        assertThat(registry.certificatePem("nobody")).isEmpty();
    }

    @Test
    void tagsAreAddedOnceRemovedListedSortedAndBounded() {
        registry.register("dev-1", "alice", "olga");
        registry.register("dev-2", "bob", "olga");
        registry.register("dev-3", "alice", "olga");
        assertThat(registry.addTag("dev-1", "zeta")).isTrue();
        assertThat(registry.addTag("dev-1", "beta")).isTrue();
        assertThat(registry.addTag("dev-1", "beta")).isTrue();
        assertThat(registry.addTag("dev-2", "beta")).isTrue();
        assertThat(registry.addTag("nobody", "beta")).isFalse();
        assertThat(registry.removeTag("nobody", "beta")).isFalse();

        assertThat(registry.tags("dev-1")).containsExactly("beta", "zeta");
        assertThat(registry.find("dev-1").orElseThrow().tags()).containsExactly("beta", "zeta");
        assertThat(registry.list("alice", 100)).extracting(DeviceRegistry.Device::tags)
                .containsExactly(java.util.List.of("beta", "zeta"), java.util.List.of());
        assertThat(registry.list(null, 100)).extracting(DeviceRegistry.Device::tags)
                .containsExactly(java.util.List.of("beta", "zeta"), java.util.List.of("beta"), java.util.List.of());
        assertThat(registry.list(null, 1)).singleElement().extracting(DeviceRegistry.Device::tags)
                .isEqualTo(java.util.List.of("beta", "zeta"));

        assertThat(registry.removeTag("dev-1", "zeta")).isTrue();
        assertThat(registry.removeTag("dev-1", "never-had")).isTrue();
        assertThat(registry.tags("dev-1")).containsExactly("beta");

        for (String bad : new String[] {"Beta", "", "-x", "a".repeat(33), "a b", null}) {
            assertThatThrownBy(() -> registry.addTag("dev-1", bad)).as(String.valueOf(bad))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        for (int i = 1; i < DeviceRegistry.MAX_TAGS; i++) {
            registry.addTag("dev-1", "t" + i);
        }
        assertThatThrownBy(() -> registry.addTag("dev-1", "one-more")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(DeviceRegistry.MAX_TAGS));
        assertThat(registry.addTag("dev-1", "beta")).as("one it has: no change").isTrue();
        assertThat(registry.tags("dev-1")).hasSize(DeviceRegistry.MAX_TAGS);
    }

    /** A certificate naming {@code deviceId}: the registry stores what its callers validated. */
    static X509Certificate selfSigned(String deviceId, Instant notAfter) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = g.generateKeyPair();
        X500Name name = new X500Name("CN=" + deviceId);
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                BigInteger.ONE, Date.from(Instant.parse("2025-01-01T00:00:00Z")),
                Date.from(notAfter.truncatedTo(ChronoUnit.SECONDS)), name, keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }
}
