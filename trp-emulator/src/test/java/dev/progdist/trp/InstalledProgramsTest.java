package dev.progdist.trp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.Fingerprints;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstalledProgramsTest {

    @TempDir
    Path dir;
    InstalledPrograms store;

    @BeforeEach
    void setUp() {
        store = new InstalledPrograms(Home.at(dir), "dev-1");
    }

    private Path staged(String content) throws Exception {
        Path p = store.stagingDir().resolve("p-" + System.nanoTime());
        Files.writeString(p, content);
        return p;
    }

    @Test
    void anUpgradeReplacesTheCurrentVersionAndDropsTheOldBytes() throws Exception {
        store.install("app", "1.0", staged("one"));
        Path v1 = store.programFile("app").orElseThrow();
        store.install("app", "1.10", staged("one-ten"));

        assertThat(store.installedVersion("app")).contains("1.10");
        assertThat(Files.readString(store.programFile("app").orElseThrow())).isEqualTo("one-ten");
        assertThat(v1).doesNotExist();
        assertThat(store.list()).hasSize(1);
    }

    @Test
    void anOlderOrEqualVersionWithOtherBytesIsRefusedAndChangesNothing() throws Exception {
        store.install("app", "2.0", staged("two"));
        for (String v : new String[] {"1.9", "2.0", "02.0"}) {
            Path s = staged("old");
            assertThatThrownBy(() -> store.install("app", v, s)).isInstanceOf(TrpRefusal.class)
                    .extracting(e -> ((TrpRefusal) e).code()).isEqualTo("rollback-refused");
        }
        assertThat(store.installedVersion("app")).contains("2.0");
        assertThat(Files.readString(store.programFile("app").orElseThrow())).isEqualTo("two");
    }

    @Test
    void theInstalledVersionWithIdenticalBytesIsInstalledAgain() throws Exception {
        store.install("app", "2.0", staged("two"));
        store.install("other", "1", staged("o1"));
        String sha = Fingerprints.sha256("two".getBytes(StandardCharsets.UTF_8));

        store.requireNewerOrIdentical("app", "2.0", sha); // no refusal: an identical re-installation
        Path again = staged("two");
        store.install("app", "2.0", again);

        assertThat(again).as("moved into place").doesNotExist();
        assertThat(store.installedVersion("app")).contains("2.0");
        assertThat(Files.readString(store.programFile("app").orElseThrow())).isEqualTo("two");
        assertThat(store.installedVersion("other")).contains("1");
        assertThat(store.list()).hasSize(2);
        try (var files = Files.list(store.programFile("app").orElseThrow().getParent())) {
            assertThat(files).hasSize(1);
        }
    }

    @Test
    void theInstalledVersionWithOtherBytesOrAnOlderOrEquallyOrderedVersionIsRefused() throws Exception {
        store.install("app", "2.0", staged("two"));
        String same = Fingerprints.sha256("two".getBytes(StandardCharsets.UTF_8));
        String other = Fingerprints.sha256("evil".getBytes(StandardCharsets.UTF_8));

        assertRollback(() -> store.requireNewerOrIdentical("app", "2.0", other));
        assertRollback(() -> store.requireNewerOrIdentical("app", "2.0", same.toUpperCase(java.util.Locale.ROOT)));
        assertRollback(() -> store.requireNewerOrIdentical("app", "1.9", same));
        // 02.0 is 2.0 in version order, but not the installed version: no re-installation
        assertRollback(() -> store.requireNewerOrIdentical("app", "02.0", same));
        Path evil = staged("evil");
        assertRollback(() -> store.install("app", "2.0", evil));

        store.requireNewerOrIdentical("app", "2.1", other); // newer: bytes do not matter
        store.requireNewerOrIdentical("new", "1.0", other); // not installed at all
        assertThat(Files.readString(store.programFile("app").orElseThrow())).isEqualTo("two");
    }

    private static void assertRollback(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(TrpRefusal.class)
                .extracting(e -> ((TrpRefusal) e).code()).isEqualTo("rollback-refused");
    }

    @Test
    void aCrashBeforeTheManifestSwitchLeavesThePreviousVersionCurrentAndIntact() throws Exception {
        store.install("app", "1.0", staged("one"));
        // the manifest's temporary name is taken by a non-empty directory: writing it fails, as a crash
        // between moving the program into place and switching the manifest would leave things
        Path blocker = dir.resolve("trp/dev-1/installed.json.tmp");
        Files.createDirectories(blocker.resolve("x"));

        assertThatThrownBy(() -> store.install("app", "2.0", staged("two"))).isInstanceOf(TrpRefusal.class)
                .extracting(e -> ((TrpRefusal) e).code()).isEqualTo("install-failed");

        InstalledPrograms reopened = new InstalledPrograms(Home.at(dir), "dev-1");
        assertThat(reopened.installedVersion("app")).contains("1.0");
        assertThat(Files.readString(reopened.programFile("app").orElseThrow())).isEqualTo("one");
    }

    @Test
    void otherProgramsAreUntouchedByAnInstall() throws Exception {
        store.install("a", "1", staged("a1"));
        store.install("b", "1", staged("b1"));
        store.install("a", "2", staged("a2"));
        assertThat(store.installedVersion("b")).contains("1");
        assertThat(Files.readString(store.programFile("b").orElseThrow())).isEqualTo("b1");
    }
}
