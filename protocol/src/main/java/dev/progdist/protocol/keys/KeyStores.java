package dev.progdist.protocol.keys;

import java.io.ByteArrayOutputStream;
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
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Set;

/**
 * Loading and saving PKCS#12 key stores, the only on-disk format for private keys in progdist.
 *
 * <p>Guarantees: {@link #save} never leaves a half-written store behind (it writes a temporary
 * file in the same directory, forces it to disk and renames it over the target with
 * {@code ATOMIC_MOVE}); saved stores are readable by the owner only ({@code rw-------}) where
 * the file system supports POSIX permissions. All failures, including a wrong password, throw
 * {@link PkiException}; messages name the file, never the password.
 */
public final class KeyStores {

    /** Key store type of every progdist store. */
    public static final String TYPE = "PKCS12";

    /** {@code rw-------}: what every file holding a secret or a private key gets. */
    public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> PUBLIC_READ = PosixFilePermissions.fromString("rw-r--r--");

    private KeyStores() {
    }

    /** A new, empty PKCS#12 store in memory. */
    public static KeyStore create() {
        try {
            KeyStore store = KeyStore.getInstance(TYPE);
            store.load(null, null);
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new PkiException("cannot create an empty " + TYPE + " key store", e);
        }
    }

    /** Loads the PKCS#12 store {@code file}; fails if it is missing, damaged or the password is wrong. */
    public static KeyStore load(Path file, char[] password) {
        if (!Files.isRegularFile(file)) {
            throw new PkiException("key store " + file + " does not exist");
        }
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance(TYPE);
            store.load(in, password);
            return store;
        } catch (IOException e) {
            // The JDK reports a wrong password as an IOException (cause UnrecoverableKeyException).
            throw new PkiException("cannot open key store " + file + ": wrong password or damaged file", e);
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot open key store " + file + ": " + e.getClass().getSimpleName(), e);
        }
    }

    /** Writes {@code store} to {@code file} atomically, owner-only; the parent directory must be creatable. */
    public static void save(KeyStore store, Path file, char[] password) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            store.store(out, password);
        } catch (GeneralSecurityException | IOException e) {
            throw new PkiException("cannot encode key store for " + file, e);
        }
        writeAtomically(file, out.toByteArray(), OWNER_ONLY);
    }

    /**
     * An in-memory PKCS#12 trust store holding exactly {@code anchors} as trusted certificate
     * entries (aliases {@code anchor-0}, {@code anchor-1}, ...), for TrustManagerFactory or
     * PKIX parameters.
     */
    public static KeyStore trustStoreOf(X509Certificate... anchors) {
        if (anchors == null || anchors.length == 0) {
            throw new PkiException("a trust store needs at least one trust anchor");
        }
        KeyStore store = create();
        try {
            for (int i = 0; i < anchors.length; i++) {
                if (anchors[i] == null) {
                    throw new PkiException("trust anchor " + i + " is missing");
                }
                store.setCertificateEntry("anchor-" + i, anchors[i]);
            }
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot build trust store", e);
        }
        return store;
    }

    /**
     * Replaces {@code file} with {@code content} so that readers see either the old or the new
     * file, never a partial one. The temporary file gets {@code permissions} at creation (no
     * window in which it is more readable), where POSIX permissions are supported.
     */
    public static void writeAtomically(Path file, byte[] content, Set<PosixFilePermission> permissions) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path temp = null;
        try {
            Files.createDirectories(dir);
            try {
                FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(permissions);
                temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp", attr);
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
                    // best effort: the original error is more useful to the caller
                }
            }
        }
    }

    /** Reads at most {@code limit} bytes of {@code file}; larger files are refused, not truncated. */
    static byte[] readLimited(Path file, int limit) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] data = in.readNBytes(limit + 1);
            if (data.length > limit) {
                throw new PkiException(file + " is larger than " + limit + " bytes");
            }
            return data;
        } catch (NoSuchFileException e) {
            throw new PkiException(file + " does not exist", e);
        } catch (IOException e) {
            throw new PkiException("cannot read " + file + ": " + e.getClass().getSimpleName(), e);
        }
    }
}
