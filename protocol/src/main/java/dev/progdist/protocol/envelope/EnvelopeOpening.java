package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.DeviceKey;
import dev.progdist.protocol.keys.PkiException;
import dev.progdist.protocol.program.EnvelopeMode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What every {@link EnvelopeOpener} shares: the staging file, the digests, the final length check
 * and the move into place (the guarantee in {@link EnvelopeOpener}'s comment). The mode's own
 * part is a {@link Body}.
 */
final class EnvelopeOpening {

    private EnvelopeOpening() {
    }

    /** The part of an opener that reads its mode's bytes after the first one. */
    abstract static class Body implements EnvelopeOpener {

        /** Whether {@code first}, the envelope's first byte, starts an envelope of this mode. */
        abstract boolean starts(int first);

        /** Reads the rest of the envelope from {@code in} and writes the authenticated plaintext to {@code sink}. */
        abstract void read(EnvelopeInput in, KeyType type, DeviceKey key, Sink sink)
                throws EnvelopeException, IOException;

        @Override
        public final OpenedEnvelope decrypt(Path envelope, DeviceKey key, Path plaintextOut) throws EnvelopeException {
            return open(envelope, key, plaintextOut, this);
        }
    }

    /** Opens with {@code only}, or with the body the first byte names if {@code only} is null. */
    static OpenedEnvelope open(Path envelope, DeviceKey key, Path plaintextOut, Body only) throws EnvelopeException {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(plaintextOut, "plaintextOut");
        KeyType type;
        try {
            type = key.keyType();
        } catch (PkiException e) {
            throw EnvelopeException.unsupportedKey();
        }
        Path staging = null;
        boolean done = false;
        try (EnvelopeInput in = new EnvelopeInput(envelope)) {
            if (Files.exists(plaintextOut) && Files.isSameFile(envelope, plaintextOut)) {
                throw new IllegalArgumentException("plaintextOut must not be the envelope itself");
            }
            staging = FileOutputs.stagingFor(plaintextOut);
            Body body;
            Sink sink;
            try (FileChannel out = FileChannel.open(staging, StandardOpenOption.WRITE)) {
                sink = new Sink(out);
                if (in.size() == 0) {
                    throw EnvelopeException.malformed();
                }
                int first = in.readByte();
                body = only != null ? only : bodyFor(first);
                if (!body.starts(first)) {
                    throw EnvelopeException.malformed();
                }
                body.read(in, type, key, sink);
                if (in.remaining() != 0) {
                    throw EnvelopeException.authenticationFailed(); // extended
                }
                out.force(true);
            }
            String envelopeSha256 = HexFormat.of().formatHex(in.digest());
            FileOutputs.moveIntoPlace(staging, plaintextOut);
            done = true;
            return new OpenedEnvelope(body.mode(), sink.size, HexFormat.of().formatHex(sink.digest.digest()),
                    envelopeSha256);
        } catch (IOException e) {
            throw EnvelopeException.io(e);
        } finally {
            if (!done) {
                FileOutputs.deleteQuietly(staging);
                FileOutputs.deleteQuietly(plaintextOut);
            }
        }
    }

    private static Body bodyFor(int first) throws EnvelopeException {
        for (EnvelopeMode mode : EnvelopeMode.values()) {
            Body body = (Body) EnvelopeOpener.forMode(mode);
            if (body.starts(first)) {
                return body;
            }
        }
        throw EnvelopeException.malformed();
    }

    /** Writes plaintext to the staging file and hashes it on the way. */
    static final class Sink {
        final FileChannel out;
        final MessageDigest digest = Envelopes.sha256();
        long size;

        Sink(FileChannel out) {
            this.out = out;
        }

        void write(byte[] bytes, int length) throws IOException {
            if (length <= 0) {
                return;
            }
            digest.update(bytes, 0, length);
            size += length;
            ByteBuffer source = ByteBuffer.wrap(bytes, 0, length);
            while (source.hasRemaining()) {
                out.write(source);
            }
        }
    }
}
