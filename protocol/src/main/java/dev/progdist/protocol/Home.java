package dev.progdist.protocol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The one directory that holds all runtime data of a progdist installation: key stores, the
 * database, the broker journal, program blobs. {@code $PROGDIST_HOME}, default {@code ./data}.
 *
 * <p>Each component only opens its own part: the server never reads {@link #trpDir(String)}, the
 * TRP never reads {@link #pkiDir()}. On one development machine they share the directory; on a
 * real deployment each part lives on its own host.
 */
public final class Home {

    public static final String ENV = "PROGDIST_HOME";
    public static final String PROPERTY = "progdist.home";

    private final Path root;

    private Home(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public static Home at(Path root) {
        return new Home(root);
    }

    /** System property {@code progdist.home}, then {@code $PROGDIST_HOME}, then {@code ./data}. */
    public static Home fromEnvironment() {
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank()) {
            p = System.getenv(ENV);
        }
        return new Home(Path.of(p == null || p.isBlank() ? "data" : p));
    }

    /** The home a {@code progdist.home} setting names; blank means {@link #fromEnvironment()}. */
    public static Home fromSetting(String value) {
        return value == null || value.isBlank() ? fromEnvironment() : new Home(Path.of(value.strip()));
    }

    public Path root() {
        return root;
    }

    /** CA key stores and public certificates of the development PKI. */
    public Path pkiDir() {
        return root.resolve("pki");
    }

    /** The distribution server's own key stores (HTTPS, second path). */
    public Path serverDir() {
        return root.resolve("server");
    }

    /** The store of one TRP: its unique private key never leaves this directory. */
    public Path trpDir(String deviceId) {
        return root.resolve("trp").resolve(DeviceId.require(deviceId));
    }

    public Path databaseDir() {
        return root.resolve("db");
    }

    public Path brokerDir() {
        return root.resolve("broker");
    }

    public Path gatewayDir() {
        return root.resolve("gateway");
    }

    public Path secretsDir() {
        return root.resolve("secrets");
    }

    public Path blobsDir() {
        return root.resolve("blobs");
    }

    /** Scratch files of a running server: nothing in it outlives the process that wrote it. */
    public Path workDir() {
        return root.resolve("work");
    }

    /**
     * {@code work/releases}: the ciphertext files of the releases a server encrypted once for a
     * wrapped rollout (one subdirectory per server instance). Ciphertext only, never a key; deleted
     * when the rollout ends and at start-up.
     */
    public Path releasesDir() {
        return workDir().resolve("releases");
    }

    // ---- the files the distribution server reads (any CA may have made them; docs/operations.md) ----

    /** {@code pki/manufacturer-ca.crt}: the trust anchor for TRP (device) certificates. */
    public Path manufacturerCaCertificate() {
        return pkiDir().resolve("manufacturer-ca.crt");
    }

    /** {@code pki/manufacturer-ca.crl}: the manufacturer CA's CRL (PEM or DER). */
    public Path manufacturerCrl() {
        return pkiDir().resolve("manufacturer-ca.crl");
    }

    /** {@code pki/distribution-ca.crt}: the CA of the server's certificates and of the publisher's. */
    public Path distributionCaCertificate() {
        return pkiDir().resolve("distribution-ca.crt");
    }

    /** {@code pki/publisher.crt}: the code-signing certificate programs must be signed with. */
    public Path publisherCertificate() {
        return pkiDir().resolve("publisher.crt");
    }

    /** {@code server/https.p12}: the key and certificate of the HTTPS port (secret {@code server-https}). */
    public Path serverHttpsStore() {
        return serverDir().resolve("https.p12");
    }

    /** {@code server/channel.p12}: the key and certificate of the second path's server end (secret {@code server-channel}). */
    public Path serverChannelStore() {
        return serverDir().resolve("channel.p12");
    }

    /** Creates {@code dir} (and parents) readable by the owner only, where the file system allows it. */
    public static Path ensurePrivateDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
            try {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: rely on the platform's defaults
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create directory " + dir, e);
        }
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
