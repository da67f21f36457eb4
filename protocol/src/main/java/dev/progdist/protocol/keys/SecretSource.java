package dev.progdist.protocol.keys;

import dev.progdist.protocol.Home;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;

/**
 * Resolves the password of a named key store. Never from code: first the environment variable
 * {@code PROGDIST_<NAME>_PASSWORD} (name upper-cased, {@code -} as {@code _}), then the file
 * {@code <home>/secrets/<name>.password} (owner-only permissions). {@link #getOrCreate} writes
 * a fresh random password to that file when neither exists, which is how the development PKI
 * gets its passwords on first run.
 */
public final class SecretSource {

    private final Home home;
    private final Map<String, String> environment;

    public SecretSource(Home home) {
        this(home, System.getenv());
    }

    public SecretSource(Home home, Map<String, String> environment) {
        this.home = home;
        this.environment = environment;
    }

    public static String environmentVariable(String name) {
        return "PROGDIST_" + name.toUpperCase(Locale.ROOT).replace('-', '_') + "_PASSWORD";
    }

    public Path file(String name) {
        return home.secretsDir().resolve(name + ".password");
    }

    /** The password for {@code name}; fails with a message naming where it was looked for. */
    public char[] get(String name) {
        char[] found = find(name);
        if (found == null) {
            throw new IllegalStateException("no password for '" + name + "': set " + environmentVariable(name)
                    + " or create " + file(name));
        }
        return found;
    }

    /**
     * The password for {@code name}, generating and storing a random one if there is none yet.
     * Safe when two processes on one home ask at once (a gateway and its TRP for the TRP's bus
     * secret): the file appears whole or not at all, and both get the one that was stored first.
     */
    public char[] getOrCreate(String name) {
        char[] found = find(name);
        if (found != null) {
            return found;
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String generated = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Path file = file(name);
        Path dir = Home.ensurePrivateDirectory(file.getParent());
        Path tmp = null;
        try {
            try {
                tmp = Files.createTempFile(dir, "." + name, ".tmp",
                        PosixFilePermissions.asFileAttribute(KeyStores.OWNER_ONLY));
            } catch (UnsupportedOperationException notPosix) {
                tmp = Files.createTempFile(dir, "." + name, ".tmp");
            }
            Files.writeString(tmp, generated, StandardCharsets.UTF_8);
            try {
                // link(2) is atomic and never replaces: the first writer wins, whole
                Files.createLink(file, tmp);
            } catch (FileAlreadyExistsException lost) {
                // another process stored one first: use that one (read below)
            } catch (UnsupportedOperationException | FileSystemException noLinks) {
                Files.move(tmp, file);
            }
        } catch (FileAlreadyExistsException lost) {
            // the fallback move lost the race likewise
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a stray temp file of a random secret that nobody uses
                }
            }
        }
        return get(name);
    }

    /**
     * The password for {@code name} from the environment or its file, or {@code null} when there
     * is none (never creates one).
     */
    public char[] find(String name) {
        String fromEnv = environment.get(environmentVariable(name));
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return fromEnv.toCharArray();
        }
        Path file = file(name);
        if (Files.isRegularFile(file)) {
            try {
                return Files.readString(file, StandardCharsets.UTF_8).strip().toCharArray();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
        return null;
    }
}
