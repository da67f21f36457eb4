package dev.progdist.processors.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.program.BlobStore;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.TestDatabases;
import dev.progdist.protocol.envelope.SealedRelease;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.ProgramStatement;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The releases of wrapped rollouts: one per (rollout, scope), made once even when many deliveries
 * start together, ended (key wiped, file deleted) with its rollout, and swept at start-up.
 */
class ReleaseCacheTest {

    @TempDir
    Path dir;
    Database db;
    ProgramCatalog catalog;
    ProgramCatalog.ProgramVersion program;
    ProgramCatalog.ProgramVersion other;
    ReleaseCache cache;
    Path releases;

    @BeforeEach
    void open() {
        db = TestDatabases.open(dir.resolve("db"));
        catalog = new ProgramCatalog(db, new BlobStore(dir.resolve("blobs")), Clock.systemUTC());
        program = publish("editor", "1.0", 300_000);
        other = publish("editor", "2.0", 1000);
        releases = dir.resolve("work/releases");
        cache = new ReleaseCache(releases.resolve("instance-1"), catalog);
    }

    @AfterEach
    void close() {
        cache.close();
        db.close();
    }

    @Test
    void concurrentFirstUsesOfAScopeEncryptOnce() throws Exception {
        RolloutLink.Assignment a = new RolloutLink.Assignment("r-1", 1, "wrapped", "rollout");
        int n = 8;
        CyclicBarrier together = new CyclicBarrier(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<SealedRelease>> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                all.add(pool.submit(() -> {
                    together.await();
                    return cache.release(a, program);
                }));
            }
            Set<SealedRelease> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (Future<SealedRelease> f : all) {
                distinct.add(f.get());
            }
            assertThat(distinct).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(files()).containsExactly("instance-1/r-1-rollout.bin");
        assertThat(Files.size(releases.resolve("instance-1/r-1-rollout.bin"))).isEqualTo(300_000);
    }

    @Test
    void eachScopeHasItsOwnReleaseAndEndingARolloutEndsOnlyItsOwn() throws Exception {
        SealedRelease group1 = cache.release(new RolloutLink.Assignment("r-1", 1, "wrapped", "group-1"), program);
        SealedRelease group2 = cache.release(new RolloutLink.Assignment("r-1", 2, "wrapped", "group-2"), program);
        SealedRelease r2 = cache.release(new RolloutLink.Assignment("r-2", 1, "wrapped", "rollout"), program);
        assertThat(group1).isNotSameAs(group2);
        assertThat(cache.rolloutIds()).containsExactly("r-1", "r-2");
        // an odd rollout ID or scope still makes a plain file name
        cache.release(new RolloutLink.Assignment("../r 3", 1, "wrapped", "a/b"), other);
        assertThat(files()).hasSize(4).allMatch(f -> f.matches("instance-1/[A-Za-z0-9._-]+\\.bin"));

        // one rollout, one program: a scope's release is never made of another
        assertThatThrownBy(() -> cache.release(new RolloutLink.Assignment("r-2", 1, "wrapped", "rollout"), other))
                .isInstanceOf(IllegalStateException.class);

        assertThat(cache.end("r-1")).isEqualTo(2);
        assertThat(files()).doesNotContain("instance-1/r-1-group-1.bin", "instance-1/r-1-group-2.bin")
                .contains("instance-1/r-2-rollout.bin");
        assertThat(group1.toString()).as("its content key is wiped").contains("closed");
        assertThat(r2.toString()).doesNotContain("closed");
        assertThat(cache.release(new RolloutLink.Assignment("r-2", 1, "wrapped", "rollout"), program)).isSameAs(r2);
        assertThat(cache.end("r-1")).isZero();
    }

    @Test
    void startUpDeletesWhatEarlierRunsLeftButNotARunningInstancesFiles() throws Exception {
        cache.release(new RolloutLink.Assignment("r-1", 1, "wrapped", "rollout"), program);
        Path old = releases.resolve("crashed-instance/r-9-rollout.bin");
        Files.createDirectories(old.getParent());
        Files.write(old, new byte[] {1});
        Files.write(releases.resolve("stray.bin"), new byte[] {2});

        ReleaseCache.sweep(releases, List.of("instance-1"));

        assertThat(files()).containsExactly("instance-1/r-1-rollout.bin");
        // a new cache in a directory starts it empty
        try (ReleaseCache again = new ReleaseCache(releases.resolve("instance-1"), catalog)) {
            assertThat(files()).isEmpty();
            assertThat(again.rolloutIds()).isEmpty();
        }
    }

    List<String> files() throws Exception {
        try (Stream<Path> walk = Files.walk(releases)) {
            return walk.filter(Files::isRegularFile).map(p -> releases.relativize(p).toString().replace('\\', '/'))
                    .sorted().toList();
        }
    }

    ProgramCatalog.ProgramVersion publish(String id, String version, int size) {
        byte[] content = new byte[size];
        new Random(size).nextBytes(content);
        ProgramStatement statement = new ProgramStatement(id, version, Fingerprints.sha256(content), size);
        return catalog.publish(statement, "c2ln", "a".repeat(64), EnvelopeMode.WRAPPED, "olga",
                new ByteArrayInputStream(content));
    }
}
