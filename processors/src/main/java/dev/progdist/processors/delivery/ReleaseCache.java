package dev.progdist.processors.delivery;

import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.envelope.EnvelopeException;
import dev.progdist.protocol.envelope.SealedRelease;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Encrypt once, wrap per device" for wrapped rollouts: one {@link SealedRelease} per (rollout,
 * release scope), encrypted from the program's blob on first use and shared by every delivery of
 * that scope, whose key-wrapping stage then only wraps the release's content key to the device.
 *
 * <p>The content key lives only in this process's memory (in the release), never in the database
 * or a file: each server instance, and each restart, encrypts its own copy under a new key. The
 * ciphertext files live in this cache's directory ({@code <home>/work/releases/<instance>/}, see
 * {@link Home#releasesDir()}); {@link #end} closes a rollout's releases (wiping their keys) and
 * deletes their files, and {@link #sweep} deletes what earlier processes left at start-up.
 * Thread-safe: concurrent first uses of one scope encrypt once; other scopes are not held up.
 */
public final class ReleaseCache implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReleaseCache.class);
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private record Key(String rolloutId, String scope) {
    }

    /** One scope's release; guarded by its own monitor, so encryption holds up only this scope. */
    private static final class Slot {
        SealedRelease release;
        String programSha256;
        boolean ended;
    }

    private final Path directory;
    private final ProgramCatalog catalog;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<Key, Slot> slots = new ConcurrentHashMap<>();

    /**
     * @param directory this process's own directory for ciphertext files (created owner-only;
     *                  anything already in it is deleted)
     */
    public ReleaseCache(Path directory, ProgramCatalog catalog) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        deleteTree(directory);
        Home.ensurePrivateDirectory(directory);
    }

    /**
     * The release of {@code assignment}'s rollout and scope for {@code program}, encrypted now if
     * this is its first use.
     *
     * @throws EnvelopeException     {@code envelope-io} if the blob cannot be read or the file written
     * @throws IllegalStateException if the rollout was {@link #end ended} meanwhile, or the scope's
     *                               release was made of another program (a rollout has one program version)
     */
    public SealedRelease release(RolloutLink.Assignment assignment, ProgramCatalog.ProgramVersion program)
            throws EnvelopeException {
        Key key = new Key(assignment.rolloutId(), assignment.releaseScope() == null ? "" : assignment.releaseScope());
        Slot slot = slots.computeIfAbsent(key, k -> new Slot());
        synchronized (slot) {
            if (slot.ended) {
                throw new IllegalStateException("rollout " + key.rolloutId() + " ended");
            }
            if (slot.release == null) {
                slot.release = SealedRelease.encrypt(catalog.blob(program), file(key), random);
                slot.programSha256 = program.sha256();
                LOG.info("Encrypted {} {} once for rollout {} (scope '{}'): {} bytes", program.programId(),
                        program.version(), key.rolloutId(), key.scope(), program.size());
            } else if (!slot.programSha256.equals(program.sha256())) {
                throw new IllegalStateException("rollout " + key.rolloutId() + " scope '" + key.scope()
                        + "' was encrypted from another program");
            }
            return slot.release;
        }
    }

    /**
     * Closes every release of {@code rolloutId} (their content keys are wiped) and deletes their
     * files. Envelopes already streaming keep reading their open file; later uses fail.
     *
     * @return how many releases were ended
     */
    public int end(String rolloutId) {
        int ended = 0;
        for (Key key : slots.keySet()) {
            if (key.rolloutId().equals(rolloutId)) {
                Slot slot = slots.remove(key);
                if (slot != null) {
                    close(key, slot);
                    ended++;
                }
            }
        }
        return ended;
    }

    /** The rollouts that have a release in this cache: for a sweep that ends those no longer running. */
    public Set<String> rolloutIds() {
        Set<String> ids = new TreeSet<>();
        slots.keySet().forEach(k -> ids.add(k.rolloutId()));
        return ids;
    }

    /** Ends every release (server stop). */
    @Override
    public void close() {
        for (Key key : slots.keySet()) {
            Slot slot = slots.remove(key);
            if (slot != null) {
                close(key, slot);
            }
        }
    }

    /**
     * At start-up: deletes everything under {@code releasesRoot} except the directories named in
     * {@code keep} (the instance directories of servers still running on this home).
     */
    public static void sweep(Path releasesRoot, Collection<String> keep) {
        if (!Files.isDirectory(releasesRoot)) {
            return;
        }
        try (Stream<Path> entries = Files.list(releasesRoot)) {
            entries.filter(p -> !keep.contains(p.getFileName().toString())).forEach(ReleaseCache::deleteTree);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + releasesRoot, e);
        }
    }

    private void close(Key key, Slot slot) {
        synchronized (slot) {
            slot.ended = true;
            if (slot.release != null) {
                slot.release.close();
                slot.release = null;
            }
            try {
                Files.deleteIfExists(file(key));
            } catch (IOException e) {
                LOG.warn("Cannot delete the release file of rollout {}: {}", key.rolloutId(), e.toString());
            }
        }
    }

    /** {@code <rolloutId>-<scope>.bin}, or a digest of the two where they are not plain file-name characters. */
    Path file(Key key) {
        String name = SAFE.matcher(key.rolloutId()).matches() && (key.scope().isEmpty() || SAFE.matcher(key.scope()).matches())
                ? key.rolloutId() + "-" + key.scope()
                : digest(key.rolloutId() + "\u0000" + key.scope());
        return directory.resolve(name + ".bin");
    }

    private static String digest(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("Cannot delete {}: {}", root, e.toString());
        }
    }
}
