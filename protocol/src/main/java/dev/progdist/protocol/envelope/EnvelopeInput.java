package dev.progdist.protocol.envelope;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * Sequential reader of an envelope file with a fixed {@value Envelopes#CHUNK}-byte buffer. Every
 * byte handed out also goes into a SHA-256 of the whole envelope. Running out of bytes is a
 * truncated envelope ({@code envelope-authentication-failed}), never a partial read.
 */
final class EnvelopeInput implements Closeable {

    private final FileChannel channel;
    private final long size;
    private final ByteBuffer buffer = ByteBuffer.allocate(Envelopes.CHUNK);
    private final MessageDigest digest = Envelopes.sha256();
    private long position;

    EnvelopeInput(Path file) throws EnvelopeException {
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
            size = channel.size();
        } catch (IOException e) {
            throw EnvelopeException.io(e);
        }
        buffer.limit(0);
    }

    long size() {
        return size;
    }

    long position() {
        return position;
    }

    long remaining() {
        return size - position;
    }

    int readByte() throws EnvelopeException {
        fill();
        position++;
        byte b = buffer.get();
        digest.update(b);
        return b & 0xff;
    }

    byte[] readBytes(int length) throws EnvelopeException {
        byte[] bytes = new byte[length];
        readFully(bytes, 0, length);
        return bytes;
    }

    void readFully(byte[] target, int offset, int length) throws EnvelopeException {
        int done = 0;
        while (done < length) {
            done += readSome(target, offset + done, length - done);
        }
    }

    /** Reads between 1 and {@code length} bytes ({@code length > 0}). */
    int readSome(byte[] target, int offset, int length) throws EnvelopeException {
        fill();
        int n = Math.min(length, buffer.remaining());
        buffer.get(target, offset, n);
        digest.update(target, offset, n);
        position += n;
        return n;
    }

    /** SHA-256 of every byte read so far. */
    byte[] digest() {
        return digest.digest();
    }

    private void fill() throws EnvelopeException {
        if (buffer.hasRemaining()) {
            return;
        }
        buffer.clear();
        try {
            int n;
            do {
                n = channel.read(buffer);
            } while (n == 0);
            buffer.flip();
            if (n < 0) {
                throw EnvelopeException.authenticationFailed();
            }
        } catch (IOException e) {
            throw EnvelopeException.io(e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only: nothing can be lost
        }
    }
}
