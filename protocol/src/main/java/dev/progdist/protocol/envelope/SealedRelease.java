package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * "Encrypt once, wrap per device" for the {@code wrapped} format: {@link #encrypt} encrypts a
 * program once with a fresh AES-256-GCM content key into a ciphertext file; {@link #envelopeFor}
 * then streams a complete CMS envelope for one device: a fresh RecipientInfo wrapping the same
 * content key to that device's certificate, followed by the shared ciphertext and tag.
 *
 * <p>Security guarantee: each envelope opens only with its device's private key, and any change
 * to the envelope or to the ciphertext file makes opening fail. All devices of one release share
 * the content key, so a device that leaks its key leaks this release's content key too (not its
 * private key, not other releases). The content key lives in this object until {@link #close()}
 * wipes it; envelopes already started keep streaming (they hold no content key).
 * {@code envelopeFor} is thread-safe if the {@code SecureRandom} is.
 */
public final class SealedRelease implements AutoCloseable {

    private final byte[] contentKey;
    private final byte[] nonce;
    private final byte[] tag;
    private final Path ciphertextFile;
    private final long size;
    private final SecureRandom random;
    private volatile boolean closed;

    private SealedRelease(byte[] contentKey, byte[] nonce, byte[] tag, Path ciphertextFile, long size,
            SecureRandom random) {
        this.contentKey = contentKey;
        this.nonce = nonce;
        this.tag = tag;
        this.ciphertextFile = ciphertextFile;
        this.size = size;
        this.random = random;
    }

    /**
     * Encrypts {@code plaintext} into {@code ciphertextFile} (created or replaced; it holds only
     * the encrypted content, exactly as long as the program). On failure the ciphertext file is
     * deleted.
     *
     * @throws EnvelopeException {@code envelope-io} on file trouble, {@code envelope-malformed} if
     *         the program is larger than 64 GiB - 32 bytes
     */
    public static SealedRelease encrypt(Path plaintext, Path ciphertextFile, SecureRandom random)
            throws EnvelopeException {
        Objects.requireNonNull(plaintext, "plaintext");
        Objects.requireNonNull(ciphertextFile, "ciphertextFile");
        Objects.requireNonNull(random, "random");
        byte[] key = Envelopes.randomBytes(random, Envelopes.KEY_BYTES);
        byte[] nonce = Envelopes.randomBytes(random, Envelopes.NONCE_BYTES);
        boolean done = false;
        try (FileChannel in = FileChannel.open(plaintext, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(ciphertextFile, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            long size = in.size();
            Envelopes.checkProgramSize(size);
            Cipher cipher = Envelopes.jdkAesGcm();
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"),
                    new GCMParameterSpec(Envelopes.TAG_BITS, nonce));
            byte[] chunk = new byte[Envelopes.CHUNK];
            byte[] encrypted = new byte[Envelopes.CHUNK + 2 * Envelopes.TAG_BYTES];
            long remaining = size;
            while (remaining > 0) {
                int n = (int) Math.min(Envelopes.CHUNK, remaining);
                ByteBuffer target = ByteBuffer.wrap(chunk, 0, n);
                while (target.hasRemaining()) {
                    if (in.read(target) < 0) {
                        throw new IOException("program file became shorter while it was encrypted");
                    }
                }
                remaining -= n;
                writeFully(out, encrypted, cipher.update(chunk, 0, n, encrypted, 0));
            }
            if (in.read(ByteBuffer.allocate(1)) > 0) {
                throw new IOException("program file became longer while it was encrypted");
            }
            int n = cipher.doFinal(encrypted, 0);
            writeFully(out, encrypted, n - Envelopes.TAG_BYTES);
            byte[] tag = Arrays.copyOfRange(encrypted, n - Envelopes.TAG_BYTES, n);
            out.force(true);
            done = true;
            return new SealedRelease(key, nonce, tag, ciphertextFile, size, random);
        } catch (IOException e) {
            throw EnvelopeException.io(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is not available", e);
        } finally {
            if (!done) {
                Envelopes.wipe(key);
                try {
                    Files.deleteIfExists(ciphertextFile);
                } catch (IOException ignored) {
                    // it holds ciphertext only; nothing secret is left behind
                }
            }
        }
    }

    /**
     * A wrapped envelope of this release for {@code recipient} (a validated TRP certificate).
     *
     * @throws EnvelopeException {@code envelope-unsupported-key} for a key that cannot receive
     *         envelopes, {@code envelope-io} if the ciphertext file is gone or changed length
     * @throws IllegalStateException after {@link #close()}
     */
    public EnvelopeStream envelopeFor(X509Certificate recipient) throws EnvelopeException {
        return EnvelopeStream.ofRelease(wrapKey(recipient));
    }

    /**
     * Key wrapping for one device of this release: the content key wrapped to {@code recipient} (a
     * validated TRP certificate) in a fresh RecipientInfo. The material holds no content key; it is
     * single use, consumed by {@link EnvelopeStream#ofRelease}, which copies this release's ciphertext
     * behind the device's header.
     *
     * @throws EnvelopeException {@code envelope-unsupported-key} for a key that cannot receive envelopes
     * @throws IllegalStateException after {@link #close()}
     */
    public DeviceKeyMaterial wrapKey(X509Certificate recipient) throws EnvelopeException {
        KeyType type = Envelopes.recipientKeyType(recipient);
        byte[] digest = Envelopes.certificateDigest(recipient);
        byte[] key;
        synchronized (contentKey) {
            if (closed) {
                throw new IllegalStateException("release is closed");
            }
            key = contentKey.clone();
        }
        try {
            byte[] header = CmsFormat.header(CmsFormat.recipientInfo(type, recipient, key, random), nonce, size);
            return new DeviceKeyMaterial.ReleaseRecipient(digest, size, header, ciphertextFile, tag);
        } finally {
            Envelopes.wipe(key);
        }
    }

    /** The file that holds this release's encrypted content (ciphertext only). */
    public Path ciphertextFile() {
        return ciphertextFile;
    }

    /** Length of the program and of the ciphertext file. */
    public long size() {
        return size;
    }

    /** Wipes the content key; later {@link #envelopeFor} calls fail. */
    @Override
    public void close() {
        synchronized (contentKey) {
            closed = true;
            Envelopes.wipe(contentKey);
        }
    }

    @Override
    public String toString() {
        return "SealedRelease[" + ciphertextFile + ", " + size + " bytes" + (closed ? ", closed" : "") + "]";
    }

    private static void writeFully(FileChannel out, byte[] bytes, int length) throws IOException {
        ByteBuffer source = ByteBuffer.wrap(bytes, 0, length);
        while (source.hasRemaining()) {
            out.write(source);
        }
    }
}
