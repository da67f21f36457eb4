package dev.progdist.processors.program;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.keys.Fingerprints;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobStoreTest {

    @TempDir
    Path dir;

    @Test
    void storesBytesUnderTheirDigest() throws Exception {
        BlobStore store = new BlobStore(dir);
        byte[] data = random(200_000); // several buffers

        BlobStore.Stored s = store.put(new ByteArrayInputStream(data), data.length);

        assertThat(s.sha256()).isEqualTo(Fingerprints.sha256(data));
        assertThat(s.size()).isEqualTo(data.length);
        assertThat(s.path()).isEqualTo(dir.resolve("sha256").resolve(s.sha256().substring(0, 2)).resolve(s.sha256()));
        assertThat(Files.readAllBytes(store.path(s.sha256()))).isEqualTo(data);
        assertThat(store.contains(s.sha256())).isTrue();
        assertThat(files()).containsExactly(s.path());
    }

    @Test
    void theSameBytesAreKeptOnce() throws Exception {
        BlobStore store = new BlobStore(dir);
        byte[] data = random(1000);
        BlobStore.Stored a = store.put(new ByteArrayInputStream(data), 1000);
        BlobStore.Stored b = store.put(new ByteArrayInputStream(data), 1000);
        assertThat(b).isEqualTo(a);
        assertThat(files()).containsExactly(a.path());
    }

    @Test
    void emptyInputIsABlobToo() throws Exception {
        BlobStore.Stored s = new BlobStore(dir).put(InputStream.nullInputStream(), 0);
        assertThat(s.size()).isZero();
        assertThat(s.sha256()).isEqualTo(Fingerprints.sha256(new byte[0]));
    }

    @Test
    void moreThanTheLimitIsRefusedAndLeavesNothing() throws Exception {
        BlobStore store = new BlobStore(dir);
        byte[] data = random(100_001);
        assertThatThrownBy(() -> store.put(new ByteArrayInputStream(data), 100_000))
                .isInstanceOf(BlobStore.TooLargeException.class);
        assertThat(store.contains(Fingerprints.sha256(data))).isFalse();
        assertThat(files()).isEmpty();
        // exactly the limit is fine
        assertThat(store.put(new ByteArrayInputStream(data, 0, 100_000), 100_000).size()).isEqualTo(100_000);
    }

    @Test
    void unexpectedBytesAreRefusedBeforeTheyAreVisible() throws Exception {
        BlobStore store = new BlobStore(dir);
        byte[] data = random(5000);
        String sha = Fingerprints.sha256(data);
        byte[] other = random(5000);

        assertThatThrownBy(() -> store.put(new ByteArrayInputStream(other), 5000, new BlobStore.Expected(sha, 5000)))
                .isInstanceOf(BlobStore.MismatchException.class)
                .satisfies(e -> assertThat(((BlobStore.MismatchException) e).actualSha256())
                        .isEqualTo(Fingerprints.sha256(other)));
        assertThatThrownBy(() -> store.put(new ByteArrayInputStream(data, 0, 4999), 5000,
                new BlobStore.Expected(sha, 5000))).isInstanceOf(BlobStore.MismatchException.class);
        assertThat(files()).isEmpty();

        assertThat(store.put(new ByteArrayInputStream(data), 5000, new BlobStore.Expected(sha, 5000)).sha256())
                .isEqualTo(sha);
    }

    @Test
    void aFailingInputLeavesNothingBehind() throws Exception {
        BlobStore store = new BlobStore(dir);
        InputStream failing = new InputStream() {
            int left = 150_000;

            @Override
            public int read() throws IOException {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    throw new IOException("connection reset");
                }
                int n = Math.min(len, left);
                left -= n;
                return n;
            }
        };
        assertThatThrownBy(() -> store.put(failing, Long.MAX_VALUE)).isInstanceOf(BlobStore.InputFailedException.class);
        assertThat(files()).isEmpty();
    }

    @Test
    void onlyHexNamesAreAccepted() {
        BlobStore store = new BlobStore(dir);
        assertThat(store.contains("../../etc/passwd")).isFalse();
        assertThat(store.contains(null)).isFalse();
        assertThatThrownBy(() -> store.path("ab")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.path("a".repeat(64))).isInstanceOf(IllegalStateException.class);
    }

    /** Every regular file under the store, temporary ones included. */
    private List<Path> files() throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
