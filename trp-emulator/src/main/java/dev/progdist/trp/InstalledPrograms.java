package dev.progdist.trp;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.program.ProgramVersions;
import dev.progdist.protocol.wire.TrpStatus.InstalledProgram;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The TRP's sealed program store, in its own directory ({@code trp/<device>/}): the installed
 * programs under {@code programs/<programId>/<version>.bin} and the manifest {@code installed.json}
 * that says which version of each program is current.
 *
 * <p>Install is atomic: the program is written and synced under a staging name, moved into place,
 * and only then the manifest is replaced (write, sync, atomic rename). A crash at any point leaves
 * the manifest naming the previous version, whose file is untouched; a half-written program is
 * never current. Rollback protection: {@link #install} refuses a version that is not newer
 * ({@link ProgramVersions#ORDER}) than the current one, except an identical re-installation: the
 * very version that is current (the same text) with the same bytes (the same SHA-256). That lets a
 * rollout get a fresh signed receipt for a program whose first receipt the server lost, and can
 * never change what is installed. Thread-safe (synchronized).
 */
public final class InstalledPrograms {

    private static final int MAX_MANIFEST_BYTES = 1024 * 1024;

    private final Path dir;
    private final Path manifest;

    public InstalledPrograms(Home home, String deviceId) {
        this.dir = home.trpDir(deviceId);
        this.manifest = dir.resolve("installed.json");
    }

    public synchronized List<InstalledProgram> list() {
        if (!Files.isRegularFile(manifest)) {
            return List.of();
        }
        try {
            if (Files.size(manifest) > MAX_MANIFEST_BYTES) {
                throw new IllegalStateException("installed-program manifest is too large: " + manifest);
            }
            return Json.mapper().readValue(manifest.toFile(), new TypeReference<List<InstalledProgram>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + manifest, e);
        }
    }

    /** The current version of {@code programId}, if installed. */
    public synchronized Optional<String> installedVersion(String programId) {
        return list().stream().filter(p -> p.programId().equals(programId)).map(InstalledProgram::version)
                .findFirst();
    }

    /** The file holding the current version of {@code programId}, if installed. */
    public synchronized Optional<Path> programFile(String programId) {
        return installedVersion(programId).map(v -> programPath(programId, v));
    }

    /**
     * Refuses {@code version} unless it is newer than the installed one, or is an identical
     * re-installation: exactly the installed version (the same text, not merely equal in version
     * order) and {@code programSha256} (lowercase hex) equal to the SHA-256 of the installed bytes,
     * which this store computes itself from its file.
     *
     * @throws TrpRefusal {@code rollback-refused}
     */
    public synchronized void requireNewerOrIdentical(String programId, String version, String programSha256) {
        requireNewerOrIdentical(programId, version, () -> programSha256);
    }

    private void requireNewerOrIdentical(String programId, String version, Supplier<String> programSha256) {
        Optional<String> current = installedVersion(programId);
        if (current.isEmpty() || ProgramVersions.compare(version, current.get()) > 0) {
            return;
        }
        if (!current.get().equals(version)) {
            throw new TrpRefusal(ChannelCode.ROLLBACK_REFUSED, "version " + version + " of " + programId
                    + " is not newer than the installed version " + current.get());
        }
        String held;
        try {
            held = Fingerprints.sha256(programPath(programId, version));
        } catch (UncheckedIOException e) {
            throw new TrpRefusal(ChannelCode.ROLLBACK_REFUSED, "version " + version + " of " + programId
                    + " is installed, but its bytes cannot be read to compare them", e);
        }
        String offered = programSha256.get();
        if (offered == null || !MessageDigest.isEqual(held.getBytes(StandardCharsets.US_ASCII),
                offered.getBytes(StandardCharsets.US_ASCII))) {
            throw new TrpRefusal(ChannelCode.ROLLBACK_REFUSED, "version " + version + " of " + programId
                    + " is installed with other bytes (a different SHA-256): not an identical re-installation");
        }
    }

    /** A directory on the store's file system for files being received or checked. */
    public Path stagingDir() {
        return Home.ensurePrivateDirectory(dir.resolve("staging"));
    }

    /**
     * Makes {@code staged} (a verified plaintext in {@link #stagingDir()}) the current version of
     * {@code programId}. The staged file is moved, not copied. An identical re-installation (see
     * {@link #requireNewerOrIdentical}; the staged file's SHA-256 is computed here) replaces the
     * current file with the same bytes, atomically; the manifest names the same version as before.
     *
     * @throws TrpRefusal {@code rollback-refused} if the version is not newer than the current one
     *         and not an identical re-installation
     */
    public synchronized void install(String programId, String version, Path staged) {
        requireNewerOrIdentical(programId, version, () -> {
            try {
                return Fingerprints.sha256(staged);
            } catch (UncheckedIOException e) {
                throw new TrpRefusal(ChannelCode.STORAGE_FAILED, "cannot read the staged program", e);
            }
        });
        Optional<String> previous = installedVersion(programId);
        Path target = programPath(programId, version);
        try {
            Home.ensurePrivateDirectory(target.getParent());
            sync(staged);
            move(staged, target);
            List<InstalledProgram> next = new ArrayList<>();
            for (InstalledProgram p : list()) {
                if (!p.programId().equals(programId)) {
                    next.add(p);
                }
            }
            next.add(new InstalledProgram(programId, version));
            Path tmp = dir.resolve("installed.json.tmp");
            Files.write(tmp, Json.mapper().writeValueAsBytes(next));
            sync(tmp);
            move(tmp, manifest);
            syncDirectory(dir);
        } catch (IOException e) {
            throw new TrpRefusal(ChannelCode.INSTALL_FAILED, "cannot install " + programId + " " + version + ": "
                    + e.getClass().getSimpleName(), e);
        }
        // the manifest no longer names the previous version: its bytes can go
        previous.filter(v -> !v.equals(version)).ifPresent(v -> deleteQuietly(programPath(programId, v)));
    }

    private Path programPath(String programId, String version) {
        if (!ProgramVersions.isProgramId(programId) || !ProgramVersions.isVersion(version)) {
            throw new IllegalArgumentException("invalid program ID or version"); // the callers validated both
        }
        return dir.resolve("programs").resolve(programId).resolve(version + ".bin");
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the TRP store needs atomic renames", e);
        }
    }

    private static void sync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static void syncDirectory(Path d) {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not every platform can sync a directory; the rename is still atomic
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // an orphaned old version wastes space but is never current
        }
    }
}
