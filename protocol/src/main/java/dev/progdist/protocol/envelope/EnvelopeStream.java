package dev.progdist.protocol.envelope;

import dev.progdist.protocol.program.EnvelopeMode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The program-encryption stage: the envelope of one program file as a stream of bytes, encrypted
 * while it is read. The whole {@link #length()} is known before the first byte, so the stream can
 * be sent with a Content-Length. Memory is a few fixed buffers of
 * {@value Envelopes#CHUNK} bytes, whatever the program size; bulk encryption is the JDK's
 * AES-256-GCM (SunJCE, AES-NI), fed {@value Envelopes#CHUNK} bytes per {@code update}.
 *
 * <p>Security guarantee: the bytes are exactly one {@code direct} or {@code wrapped} envelope (see
 * {@code docs/envelope.md}) that only the holder of the recipient's private key can open, and
 * any change to them makes {@link EnvelopeOpener#open} fail. If the program file changes length
 * while it is read, {@code read} throws {@link IOException} instead of producing a wrong envelope.
 * {@link #close()} wipes the key material this stream holds. Not thread-safe.
 */
public final class EnvelopeStream extends InputStream {

    /** Produces the envelope piece by piece; {@code null} after the last piece. */
    interface Producer {
        ByteBuffer next() throws IOException;

        void close();
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final long length;
    private final Producer producer;
    private ByteBuffer current = EMPTY;
    private long delivered;
    private boolean ended;
    private boolean closed;

    private EnvelopeStream(long length, Producer producer) {
        this.length = length;
        this.producer = producer;
    }

    /**
     * Starts the envelope of {@code plaintext} for the recipient of {@code keys}, in its mode, with
     * fresh secrets.
     *
     * @throws EnvelopeException {@code envelope-io} if the file cannot be opened,
     *         {@code envelope-malformed} if it is larger than the formats allow (64 GiB - 32 bytes)
     */
    public static EnvelopeStream open(RecipientKeys keys, Path plaintext) throws EnvelopeException {
        Objects.requireNonNull(keys, "keys");
        long size;
        try {
            size = java.nio.file.Files.size(Objects.requireNonNull(plaintext, "plaintext"));
        } catch (IOException e) {
            throw EnvelopeException.io(e);
        }
        EnvelopeSealer sealer = EnvelopeSealer.forMode(keys.mode(), keys.random());
        return sealer.encrypt(sealer.wrapKey(keys.recipient(), size), plaintext);
    }

    /** Program encryption for {@link DirectEnvelopeSealer}. */
    static EnvelopeStream direct(DeviceKeyMaterial.KemEncapsulation keys, Path plaintext) throws EnvelopeException {
        return over(keys, plaintext, program -> new DirectProducer(keys.headerBytes(), keys.payload, program));
    }

    /** Program encryption for {@link WrappedEnvelopeSealer}. */
    static EnvelopeStream wrapped(DeviceKeyMaterial.WrappedContentKey keys, Path plaintext) throws EnvelopeException {
        return over(keys, plaintext,
                program -> new WrappedProducer(keys.headerBytes(), keys.contentKey, keys.nonce, program));
    }

    /**
     * The envelope of {@code plaintext} under {@code keys} (taken: single use), produced by the
     * producer {@code encryption} makes over the program file. If the file cannot be opened or is not
     * the size the keys were made for, the keys are wiped and nothing is returned.
     */
    private static EnvelopeStream over(DeviceKeyMaterial keys, Path plaintext,
            java.util.function.Function<ProgramReader, Producer> encryption) throws EnvelopeException {
        keys.take();
        FileChannel channel;
        try {
            channel = openSized(plaintext, keys.plaintextLength());
        } catch (EnvelopeException e) {
            keys.close();
            throw e;
        }
        try {
            // the producer owns the channel and the keys now; its close releases both
            return new EnvelopeStream(keys.envelopeLength(),
                    encryption.apply(new ProgramReader(channel, keys.plaintextLength())));
        } catch (RuntimeException e) {
            closeQuietly(channel);
            keys.close();
            throw e;
        }
    }

    /** Opens {@code file}, which must hold exactly {@code size} bytes (the size the keys were made for). */
    private static FileChannel openSized(Path file, long size) throws EnvelopeException {
        FileChannel channel = openRead(file);
        try {
            if (channel.size() != size) {
                throw EnvelopeException.io(new IOException("the program file is not the size its key material was made for"));
            }
            return channel;
        } catch (IOException e) {
            closeQuietly(channel);
            throw EnvelopeException.io(e);
        } catch (EnvelopeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /**
     * Program encryption for the key material of a {@link SealedRelease} ({@link SealedRelease#wrapKey}):
     * the device's header, the release's shared ciphertext copied as it is read, and the tag. Takes
     * over {@code keys} (single use).
     *
     * @throws EnvelopeException {@code envelope-io} if the ciphertext file is gone or changed length
     * @throws IllegalArgumentException if {@code keys} are not of a release ({@link DeviceKeyMaterial#ofRelease()})
     * @throws IllegalStateException if {@code keys} were used or closed already
     */
    public static EnvelopeStream ofRelease(DeviceKeyMaterial keys) throws EnvelopeException {
        if (!(keys instanceof DeviceKeyMaterial.ReleaseRecipient release)) {
            throw new IllegalArgumentException("not the key material of a sealed release: " + keys);
        }
        keys.take();
        FileChannel channel = openRead(release.ciphertextFile);
        try {
            if (channel.size() != release.plaintextLength()) {
                throw EnvelopeException.io(new IOException("release ciphertext file changed since encryption"));
            }
        } catch (IOException e) {
            closeQuietly(channel);
            throw EnvelopeException.io(e);
        } catch (EnvelopeException e) {
            closeQuietly(channel);
            throw e;
        }
        return new EnvelopeStream(release.envelopeLength(), new CopyProducer(release.headerBytes(),
                new ProgramReader(channel, release.plaintextLength()), CmsFormat.trailer(release.tag)));
    }

    /** Total envelope length in bytes. */
    public long length() {
        return length;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("envelope stream is closed");
        }
        if (len == 0) {
            return 0;
        }
        while (!current.hasRemaining()) {
            if (ended) {
                return -1;
            }
            ByteBuffer next = producer.next();
            if (next == null) {
                ended = true;
                producer.close();
                if (delivered != length) {
                    throw new IOException("envelope length differs from the announced length");
                }
                return -1;
            }
            current = next;
        }
        int n = Math.min(len, current.remaining());
        current.get(b, off, n);
        delivered += n;
        return n;
    }

    @Override
    public int available() {
        return closed ? 0 : current.remaining();
    }

    /** Closes the program file and wipes the keys this stream holds. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            current = EMPTY;
            producer.close();
        }
    }

    // ---- producers ----------------------------------------------------------------------

    /** Reads exactly the size the program had when sealing started, in chunks. */
    private static final class ProgramReader {
        private final FileChannel channel;
        private long remaining;

        ProgramReader(FileChannel channel, long size) {
            this.channel = channel;
            this.remaining = size;
        }

        long remaining() {
            return remaining;
        }

        /** Fills {@code buffer[0, length)} completely. */
        void read(byte[] buffer, int length) throws IOException {
            ByteBuffer target = ByteBuffer.wrap(buffer, 0, length);
            while (target.hasRemaining()) {
                if (channel.read(target) < 0) {
                    throw new IOException("program file became shorter while it was sealed");
                }
            }
            remaining -= length;
        }

        /** After the last byte: the file must not have grown either. */
        void finish() throws IOException {
            if (channel.read(ByteBuffer.allocate(1)) > 0) {
                throw new IOException("program file became longer while it was sealed");
            }
        }

        void close() {
            closeQuietly(channel);
        }
    }

    /** STREAM over AES-256-GCM segments, see {@link DirectFormat}. */
    private static final class DirectProducer implements Producer {
        private final byte[] header;
        private final DirectFormat.PayloadKeys keys;
        private final SecretKeySpec key;
        private final ProgramReader program;
        private final long segments;
        private final Cipher cipher = Envelopes.jdkAesGcm();
        private final byte[] in = new byte[Envelopes.CHUNK];
        private final byte[] out = new byte[Envelopes.CHUNK + 2 * Envelopes.TAG_BYTES];
        private boolean headerSent;
        private long segment;
        private long segmentRemaining = -1; // -1: the current segment has not started

        DirectProducer(byte[] header, DirectFormat.PayloadKeys keys, ProgramReader program) {
            this.header = header;
            this.keys = keys;
            this.key = new SecretKeySpec(keys.key, "AES");
            this.program = program;
            this.segments = DirectFormat.segmentCount(program.remaining(), DirectFormat.SEGMENT_SIZE);
        }

        @Override
        public ByteBuffer next() throws IOException {
            if (!headerSent) {
                headerSent = true;
                return ByteBuffer.wrap(header);
            }
            if (segment == segments) {
                return null;
            }
            try {
                if (segmentRemaining < 0) {
                    boolean last = segment == segments - 1;
                    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(Envelopes.TAG_BITS,
                            DirectFormat.segmentNonce(keys.baseNonce, segment)));
                    cipher.updateAAD(DirectFormat.segmentAad(segment, last));
                    segmentRemaining = Math.min(DirectFormat.SEGMENT_SIZE, program.remaining());
                }
                if (segmentRemaining > 0) {
                    int n = (int) Math.min(Envelopes.CHUNK, segmentRemaining);
                    program.read(in, n);
                    segmentRemaining -= n;
                    return ByteBuffer.wrap(out, 0, cipher.update(in, 0, n, out, 0));
                }
                int n = cipher.doFinal(out, 0);
                segment++;
                segmentRemaining = -1;
                if (segment == segments) {
                    program.finish();
                }
                return ByteBuffer.wrap(out, 0, n);
            } catch (GeneralSecurityException e) {
                throw new IOException("AES-GCM encryption failed", e);
            }
        }

        @Override
        public void close() {
            keys.close();
            program.close();
        }
    }

    /** CMS AuthEnvelopedData with the program encrypted on the fly. */
    private static final class WrappedProducer implements Producer {
        private final byte[] header;
        private final byte[] contentKey;
        private final ProgramReader program;
        private final Cipher cipher = Envelopes.jdkAesGcm();
        private final byte[] in = new byte[Envelopes.CHUNK];
        private final byte[] out = new byte[Envelopes.CHUNK + 2 * Envelopes.TAG_BYTES];
        private int state; // 0 header, 1 content, 2 trailer, 3 done
        private byte[] trailer;

        WrappedProducer(byte[] header, byte[] contentKey, byte[] nonce, ProgramReader program) {
            this.header = header;
            this.contentKey = contentKey;
            this.program = program;
            try {
                cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(contentKey, "AES"),
                        new GCMParameterSpec(Envelopes.TAG_BITS, nonce));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-256-GCM is not available", e);
            }
        }

        @Override
        public ByteBuffer next() throws IOException {
            try {
                switch (state) {
                    case 0:
                        state = 1;
                        return ByteBuffer.wrap(header);
                    case 1:
                        if (program.remaining() > 0) {
                            int n = (int) Math.min(Envelopes.CHUNK, program.remaining());
                            program.read(in, n);
                            return ByteBuffer.wrap(out, 0, cipher.update(in, 0, n, out, 0));
                        }
                        program.finish();
                        // the last TAG_BYTES of doFinal are the GCM tag: they go to the mac field
                        int n = cipher.doFinal(out, 0);
                        trailer = CmsFormat.trailer(Arrays.copyOfRange(out, n - Envelopes.TAG_BYTES, n));
                        state = 2;
                        return ByteBuffer.wrap(out, 0, n - Envelopes.TAG_BYTES);
                    case 2:
                        state = 3;
                        return ByteBuffer.wrap(trailer);
                    default:
                        return null;
                }
            } catch (GeneralSecurityException e) {
                throw new IOException("AES-GCM encryption failed", e);
            }
        }

        @Override
        public void close() {
            Envelopes.wipe(contentKey);
            program.close();
        }
    }

    /** CMS AuthEnvelopedData around an existing ciphertext file: header, copied content, mac. */
    private static final class CopyProducer implements Producer {
        private final byte[] header;
        private final ProgramReader ciphertext;
        private final byte[] trailer;
        private final byte[] buffer = new byte[Envelopes.CHUNK];
        private int state;

        CopyProducer(byte[] header, ProgramReader ciphertext, byte[] trailer) {
            this.header = header;
            this.ciphertext = ciphertext;
            this.trailer = trailer;
        }

        @Override
        public ByteBuffer next() throws IOException {
            switch (state) {
                case 0:
                    state = 1;
                    return ByteBuffer.wrap(header);
                case 1:
                    if (ciphertext.remaining() > 0) {
                        int n = (int) Math.min(Envelopes.CHUNK, ciphertext.remaining());
                        ciphertext.read(buffer, n);
                        return ByteBuffer.wrap(buffer, 0, n);
                    }
                    ciphertext.finish();
                    state = 2;
                    return ByteBuffer.wrap(trailer);
                default:
                    return null;
            }
        }

        @Override
        public void close() {
            ciphertext.close();
        }
    }

    private static FileChannel openRead(Path file) throws EnvelopeException {
        Objects.requireNonNull(file, "file");
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw EnvelopeException.io(e);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // read-only
            }
        }
    }
}
