package dev.progdist.processors.program;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.IdConflictException;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.processors.testing.TestDatabases;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.program.ProgramVersions;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog and entitlements on a real H2 database and blob store. */
class ProgramCatalogTest {

    private static final String FINGERPRINT = "f".repeat(64);

    @TempDir
    Path dir;
    Database db;
    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    BlobStore blobs;
    ProgramCatalog catalog;

    @BeforeEach
    void open() {
        db = TestDatabases.open(dir.resolve("db"));
        blobs = new BlobStore(dir.resolve("blobs"));
        catalog = new ProgramCatalog(db, blobs, clock);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void theOneVersionOrder() {
        assertThat(ProgramVersions.compare("1.9", "1.10")).isNegative();
        assertThat(ProgramVersions.compare("1.0", "1.0.1")).isNegative();
        assertThat(ProgramVersions.compare("1.2", "1.beta")).isNegative(); // numeric before non-numeric
        assertThat(ProgramVersions.compare("1.alpha", "1.beta")).isNegative();
        assertThat(ProgramVersions.compare("1.01", "1.1")).isZero();
        assertThat(ProgramVersions.compare("2", "10")).isNegative();
        List<String> sorted = new ArrayList<>(List.of("1.10", "1.0.1", "1.a", "1.9", "1.0", "0.9"));
        sorted.sort(ProgramVersions.ORDER);
        assertThat(sorted).containsExactly("0.9", "1.0", "1.0.1", "1.9", "1.10", "1.a");
    }

    @Test
    void latestFollowsTheVersionOrderNotThePublicationTime() {
        for (String v : List.of("1.10", "1.9", "1.0.1", "1.a", "1.0")) {
            publish("editor", v, v);
            clock.advance(Duration.ofMinutes(1));
        }
        assertThat(catalog.latest("editor")).hasValueSatisfying(v -> assertThat(v.version()).isEqualTo("1.a"));
        assertThat(catalog.versions("editor")).extracting(ProgramCatalog.ProgramVersion::version)
                .containsExactly("1.0", "1.0.1", "1.9", "1.10", "1.a");
        assertThat(catalog.latest("nothing")).isEmpty();
        assertThat(catalog.versions("../bad")).isEmpty();
    }

    @Test
    void aPublishedVersionIsFoundWithItsBlob() throws Exception {
        ProgramCatalog.ProgramVersion v = publish("editor", "2.0", "program bytes");
        assertThat(v.defaultMode()).isEqualTo(EnvelopeMode.WRAPPED);
        assertThat(v.publishedAt()).isEqualTo(clock.instant());
        assertThat(v.publisherFingerprint()).isEqualTo(FINGERPRINT);
        assertThat(catalog.find("editor", "2.0")).contains(v);
        assertThat(Files.readString(catalog.blob(v))).isEqualTo("program bytes");
        assertThat(v.statement().signedBytes()).isNotEmpty();
        assertThat(catalog.find("editor", "2.1")).isEmpty();
        assertThat(catalog.all()).containsExactly(v);
    }

    @Test
    void anExistingOrEqualVersionIsRefused() {
        publish("editor", "1.1", "a");
        assertThatThrownBy(() -> publish("editor", "1.1", "b")).isInstanceOf(ProgramCatalog.VersionExistsException.class);
        assertThatThrownBy(() -> publish("editor", "1.01", "b"))
                .isInstanceOf(ProgramCatalog.VersionExistsException.class)
                .satisfies(e -> assertThat(((ProgramCatalog.VersionExistsException) e).existing()).isEqualTo("1.1"));
        assertThat(catalog.versions("editor")).hasSize(1);
    }

    /** Hello/hello and 1.0-RC1/1.0-rc1 would be one file in a TRP store on a case-insensitive file system. */
    @Test
    void programIdsAndVersionsThatDifferOnlyInCaseAreRefused() {
        publish("Hello", "1.0-RC1", "a");
        assertThatThrownBy(() -> publish("hello", "2.0", "b")).isInstanceOf(IdConflictException.class)
                .hasMessageContaining("'Hello'");
        assertThatThrownBy(() -> publish("HELLO", "1.0-RC1", "b")).isInstanceOf(IdConflictException.class);
        assertThatThrownBy(() -> publish("Hello", "1.0-rc1", "b")).isInstanceOf(IdConflictException.class);
        assertThat(publish("Hello", "1.0-RC2", "c").version()).isEqualTo("1.0-RC2");
        assertThat(catalog.versions("hello")).isEmpty();
    }

    @Test
    void bytesOtherThanTheStatementsAreRefusedAndNotStored() {
        byte[] content = "the real program".getBytes(StandardCharsets.UTF_8);
        ProgramStatement statement = new ProgramStatement("editor", "1.0", Fingerprints.sha256(content), content.length);
        byte[] other = "the fake program".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> catalog.publish(statement, "c2ln", FINGERPRINT, null, "olga",
                new ByteArrayInputStream(other))).isInstanceOf(BlobStore.MismatchException.class);
        byte[] longer = "the real program!".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> catalog.publish(statement, "c2ln", FINGERPRINT, null, "olga",
                new ByteArrayInputStream(longer))).isInstanceOf(BlobStore.MismatchException.class);
        assertThat(blobs.contains(Fingerprints.sha256(other))).isFalse();
        assertThat(blobs.contains(Fingerprints.sha256(longer))).isFalse();
        assertThat(catalog.find("editor", "1.0")).isEmpty();
    }

    @Test
    void grantsAreIdempotentAndNeedAUser() {
        new UserDirectory(db, new PasswordHasher(1024, 1, 1), clock).addUser("alice",
                "a long enough secret".toCharArray(), Role.USER, false);
        Entitlements entitlements = new Entitlements(db, clock);

        assertThat(entitlements.isEntitled("alice", "editor")).isFalse();
        Entitlements.Grant first = entitlements.grant("editor", "alice", "olga");
        clock.advance(Duration.ofMinutes(1));
        Entitlements.Grant again = entitlements.grant("editor", "alice", "otto");
        assertThat(again).isEqualTo(first);
        assertThat(first.grantedBy()).isEqualTo("olga");
        assertThat(entitlements.isEntitled("alice", "editor")).isTrue();
        assertThat(entitlements.isEntitled("alice", "viewer")).isFalse();
        assertThat(entitlements.grants("editor")).containsExactly(first);
        assertThat(entitlements.grantsOf("alice")).containsExactly(first);
        assertThatThrownBy(() -> entitlements.grant("editor", "nobody", "olga"))
                .isInstanceOf(NoSuchElementException.class);

        assertThat(entitlements.revoke("editor", "alice")).isTrue();
        assertThat(entitlements.revoke("editor", "alice")).isFalse();
        assertThat(entitlements.isEntitled("alice", "editor")).isFalse();
        assertThat(entitlements.grants("editor")).isEmpty();
    }

    private ProgramCatalog.ProgramVersion publish(String id, String version, String text) {
        byte[] content = text.getBytes(StandardCharsets.UTF_8);
        ProgramStatement statement = new ProgramStatement(id, version, Fingerprints.sha256(content), content.length);
        return catalog.publish(statement, "c2ln", FINGERPRINT, EnvelopeMode.WRAPPED, "olga",
                new ByteArrayInputStream(content));
    }
}
