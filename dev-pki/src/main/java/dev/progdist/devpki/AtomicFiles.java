package dev.progdist.devpki;

import dev.progdist.protocol.keys.Crls;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.PkiException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
        KeyStores.writeAtomically(file, content, permissions);
    }

    /** {@link dev.progdist.protocol.keys.Crls#read} for PKI state files, failing with {@link PkiException}; {@code null} if absent. */
    static byte[] readIfExists(Path file, int limit) {
        try {
            return dev.progdist.protocol.keys.Crls.read(file, limit);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new PkiException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
