package dev.progdist.protocol.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.Home;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key-store passwords come from the environment or an owner-only file, never from code. */
class SecretSourceTest {

    @TempDir
    Path dir;

    private Home home() {
        return Home.at(dir);
    }

    private void writeSecretFile(String name, String content) throws IOException {
        Files.createDirectories(home().secretsDir());
        Files.writeString(home().secretsDir().resolve(name + ".password"), content, StandardCharsets.UTF_8);
    }

    @Test
    void environmentVariableName() {
        assertThat(SecretSource.environmentVariable("server-https")).isEqualTo("PROGDIST_SERVER_HTTPS_PASSWORD");
        assertThat(SecretSource.environmentVariable("ca")).isEqualTo("PROGDIST_CA_PASSWORD");
    }

    @Test
    void fileLocation() {
        assertThat(new SecretSource(home(), Map.of()).file("ca")).isEqualTo(dir.resolve("secrets").resolve("ca.password"));
    }

    @Test
    void environmentWinsOverFile() throws IOException {
        writeSecretFile("ca", "from-file");
        SecretSource s = new SecretSource(home(), Map.of("PROGDIST_CA_PASSWORD", "from-env"));
        assertThat(s.get("ca")).isEqualTo("from-env".toCharArray());
        assertThat(s.getOrCreate("ca")).isEqualTo("from-env".toCharArray());
    }

    @Test
    void fileIsUsedWhenTheEnvironmentHasNothingOrAnEmptyValue() throws IOException {
        writeSecretFile("ca", "from-file\n");
        assertThat(new SecretSource(home(), Map.of()).get("ca")).isEqualTo("from-file".toCharArray());
        assertThat(new SecretSource(home(), Map.of("PROGDIST_CA_PASSWORD", "")).get("ca"))
                .isEqualTo("from-file".toCharArray());
    }

    @Test
    void getOrCreateWritesAnOwnerOnlyFileOnceAndReturnsTheSameValueNextTime() throws IOException {
        SecretSource s = new SecretSource(home(), Map.of());
        char[] first = s.getOrCreate("server-https");
        Path file = s.file("server-https");
        assertThat(file).isRegularFile();
        assertThat(new String(first)).matches("[A-Za-z0-9_-]{32}"); // 24 random bytes
        assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo(new String(first));
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
                    .isEqualTo("rwx------");
        }
        var modified = Files.getLastModifiedTime(file);

        assertThat(s.getOrCreate("server-https")).isEqualTo(first);
        assertThat(new SecretSource(home(), Map.of()).getOrCreate("server-https")).isEqualTo(first);
        assertThat(new SecretSource(home(), Map.of()).get("server-https")).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(file)).isEqualTo(modified);
        assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo(new String(first));
    }

    @Test
    void generatedSecretsDiffer() {
        SecretSource s = new SecretSource(home(), Map.of());
        assertThat(s.getOrCreate("one")).isNotEqualTo(s.getOrCreate("two"));
        assertThat(new SecretSource(Home.at(dir.resolve("other")), Map.of()).getOrCreate("one"))
                .isNotEqualTo(s.getOrCreate("one"));
    }

    @Test
    void getOrCreateWithAnEnvironmentValueWritesNoFile() {
        SecretSource s = new SecretSource(home(), Map.of("PROGDIST_CA_PASSWORD", "from-env"));
        s.getOrCreate("ca");
        assertThat(s.file("ca")).doesNotExist();
    }

    @Test
    void missingSecretNamesWhereItWasLookedForButNoSecret() throws IOException {
        writeSecretFile("other", "file-secret-value");
        SecretSource s = new SecretSource(home(), Map.of("PROGDIST_ANOTHER_PASSWORD", "env-secret-value"));
        assertThatThrownBy(() -> s.get("server-https"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PROGDIST_SERVER_HTTPS_PASSWORD")
                .hasMessageContaining(s.file("server-https").toString())
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("file-secret-value")
                        .doesNotContain("env-secret-value"));
        // and looking did not create anything
        assertThat(s.file("server-https")).doesNotExist();
    }

    @Test
    void parallelGetOrCreateAgreesOnOneSecretAndLeavesNoTemporaryFile() throws Exception {
        // a gateway and its TRP may both create a TRP's bus secret at the same moment
        int n = 8;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            var start = new java.util.concurrent.CountDownLatch(1);
            java.util.List<java.util.concurrent.Future<String>> got = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                got.add(pool.submit(() -> {
                    start.await();
                    return new String(new SecretSource(home(), Map.of()).getOrCreate("bus-trp-d1"));
                }));
            }
            start.countDown();
            java.util.Set<String> values = new java.util.HashSet<>();
            for (var f : got) {
                values.add(f.get());
            }
            assertThat(values).hasSize(1);
            assertThat(Files.readString(new SecretSource(home(), Map.of()).file("bus-trp-d1"))).isEqualTo(values.iterator().next());
            try (var files = Files.list(home().secretsDir())) {
                assertThat(files.map(f -> f.getFileName().toString())).containsExactly("bus-trp-d1.password");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void findNeverCreates() {
        SecretSource s = new SecretSource(home(), Map.of());
        assertThat(s.find("bus-trp-d1")).isNull();
        assertThat(s.file("bus-trp-d1")).doesNotExist();
    }
}
