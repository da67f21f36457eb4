package dev.progdist.processors.program;

import dev.progdist.protocol.Home;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Program bytes by their SHA-256, under {@code <home>/blobs/sha256/<2 hex>/<64 hex>}.
 *
 * <p>{@link #put} streams into a temporary file ({@code .upload-*.tmp}) in {@code blobs/sha256}
 * while hashing, through one fixed {@value #BUFFER_SIZE}-byte buffer (memory never depends on the
 * size), forces it to disk and only then moves it atomically under its final name. Nothing
 * half-written is ever visible under a final name; on any failure the temporary file is deleted.
 * The same bytes stored twice are kept once. Blobs are readable by the owner only.
 */
public final class BlobStore {

    /** The one buffer size of a {@link #put}. */
    public static final int BUFFER_SIZE = 64 * 1024;

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    /** A stored blob: its SHA-256 (lower-case hex), its size and where it lives. */
    public record Stored(String sha256, long size, Path path) {
    }

    /** What the caller says the bytes must be; {@link #put(InputStream, long, Expected)} refuses anything else. */
    public record Expected(String sha256, long size) {
    }

    /** The input had more than the allowed number of bytes; nothing was stored. */
    public static final class TooLargeException extends RuntimeException {
        private final long maxBytes;

        TooLargeException(long maxBytes) {
            super("more than " + maxBytes + " bytes", null, false, false);
            this.maxBytes = maxBytes;
        }

        public long maxBytes() {
            return maxBytes;
        }
    }

    /** The input was not the expected bytes; nothing was stored. */
    public static final class MismatchException extends RuntimeException {
        private final String actualSha256;
        private final long actualSize;

        MismatchException(String actualSha256, long actualSize) {
            super("got " + actualSize + " bytes with SHA-256 " + actualSha256, null, false, false);
            this.actualSha256 = actualSha256;
            this.actualSize = actualSize;
        }

        public String actualSha256() {
            return actualSha256;
        }

        public long actualSize() {
            return actualSize;
        }
    }

    /** Reading the input failed (for example, the uploader went away); nothing was stored. */
    public static final class InputFailedException extends UncheckedIOException {
        InputFailedException(IOException cause) {
            super("cannot read the program bytes: " + cause.getClass().getSimpleName(), cause);
        }
    }

    private final Path root;

    public BlobStore(Path blobsDir) {
        this.root = blobsDir.resolve("sha256");
    }

    public static BlobStore forHome(Home home) {
        return new BlobStore(home.blobsDir());
    }

    /** Stores {@code in} (read to its end, not closed), refusing more than {@code maxBytes}. */
    public Stored put(InputStream in, long maxBytes) {
        return put(in, maxBytes, null);
    }

    /**
     * Stores {@code in} (read to its end, not closed), refusing more than {@code maxBytes} bytes and,
     * when {@code expected} is given, any bytes whose size or SHA-256 differ from it.
     *
     * @throws TooLargeException    more than {@code maxBytes} bytes
     * @throws MismatchException    not the {@code expected} bytes
     * @throws InputFailedException reading {@code in} failed
     * @throws UncheckedIOException writing the blob failed
     */
    public Stored put(InputStream in, long maxBytes, Expected expected) {
        Home.ensurePrivateDirectory(root);
        Path temp = null;
        try {
            temp = createTemp();
            MessageDigest digest = sha256();
            long total = 0;
            byte[] buffer = new byte[BUFFER_SIZE];
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                while (true) {
                    int n;
                    try {
                        n = in.read(buffer);
                    } catch (IOException e) {
                        throw new InputFailedException(e);
                    }
                    if (n < 0) {
                        break;
                    }
                    total += n;
                    if (total > maxBytes) {
                        throw new TooLargeException(maxBytes);
                    }
                    digest.update(buffer, 0, n);
                    ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                    while (chunk.hasRemaining()) {
                        out.write(chunk);
                    }
                }
                out.force(true);
            }
            String sha = HexFormat.of().formatHex(digest.digest());
            if (expected != null && (total != expected.size() || !sha.equals(expected.sha256()))) {
                throw new MismatchException(sha, total);
            }
            Path target = file(sha);
            if (Files.isRegularFile(target)) {
                // the same bytes are already stored: keep the one copy
                return new Stored(sha, total, target);
            }
            Home.ensurePrivateDirectory(target.getParent());
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            temp = null;
            forceDirectory(target.getParent());
            return new Stored(sha, total, target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store blob in " + root + ": " + e.getClass().getSimpleName(), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // best effort: the original failure matters more
                }
            }
        }
    }

    /**
     * The file of the blob {@code sha256}.
     *
     * @throws IllegalArgumentException if {@code sha256} is not 64 lower-case hex digits
     * @throws IllegalStateException    if no such blob is stored
     */
    public Path path(String sha256) {
        Path file = file(sha256);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("blob " + sha256 + " is missing from " + root);
        }
        return file;
    }

    public boolean contains(String sha256) {
        return sha256 != null && SHA256_HEX.matcher(sha256).matches() && Files.isRegularFile(file(sha256));
    }

    private Path file(String sha256) {
        if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
            throw new IllegalArgumentException("a blob name is 64 lower-case hex digits");
        }
        return root.resolve(sha256.substring(0, 2)).resolve(sha256);
    }

    private Path createTemp() throws IOException {
        try {
            FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(OWNER_ONLY);
            return Files.createTempFile(root, ".upload-", ".tmp", attr);
        } catch (UnsupportedOperationException notPosix) {
            return Files.createTempFile(root, ".upload-", ".tmp");
        }
    }

    private static void forceDirectory(Path dir) {
        // makes the rename durable; not every platform can open a directory, which is fine
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
