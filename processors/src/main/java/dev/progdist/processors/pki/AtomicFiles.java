package dev.progdist.processors.pki;

import dev.progdist.protocol.keys.PkiException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * File helpers for the revocation state of the development PKI: whole-file replacement that
 * readers never see half-done, and bounded reads. Failures throw {@link PkiException}.
 */
final class AtomicFiles {

    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> PUBLIC_READ = PosixFilePermissions.fromString("rw-r--r--");

    private AtomicFiles() {
    }

    /**
     * Replaces {@code file} with {@code content}: a temporary file in the same directory (created
     * with {@code permissions}), forced to disk, then renamed over the target with ATOMIC_MOVE.
     */
    static void write(Path file, byte[] content, Set<PosixFilePermission> permissions) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path temp = null;
        try {
            Files.createDirectories(dir);
            try {
                temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp",
                        PosixFilePermissions.asFileAttribute(permissions));
            } catch (UnsupportedOperationException notPosix) {
                temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            }
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
        } catch (AtomicMoveNotSupportedException e) {
            throw new PkiException("cannot replace " + target + " atomically on this file system", e);
        } catch (IOException e) {
            throw new PkiException("cannot write " + target + ": " + e.getClass().getSimpleName(), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // best effort: the original failure is what the caller needs
                }
            }
        }
    }

    /** At most {@code limit} bytes of {@code file}; a larger file is refused, not truncated. */
    static byte[] read(Path file, int limit) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] data = in.readNBytes(limit + 1);
            if (data.length > limit) {
                throw new IOException(file + " is larger than " + limit + " bytes");
            }
            return data;
        }
    }

    /** {@link #read} for PKI state files, failing with {@link PkiException}; {@code null} if absent. */
    static byte[] readIfExists(Path file, int limit) {
        try {
            return read(file, limit);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new PkiException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
