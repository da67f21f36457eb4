package dev.progdist.processors.delivery;

import dev.progdist.protocol.envelope.EnvelopeStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The envelope of one delivery on its way to the TRP: the stream program encryption opened (it
 * encrypts as it is read) and how far transmission has come, with the SHA-256 of what was sent so
 * far. The one open resource a {@link DeliveryContext} refers to; only the transmit stage advances
 * it, one request at a time (the channel admits one request at a time). {@link #close()} closes the
 * stream and wipes its keys.
 */
public final class EnvelopeTransfer implements AutoCloseable {

    private final EnvelopeStream stream;
    private final MessageDigest digest;
    private long sent;

    public EnvelopeTransfer(EnvelopeStream stream) {
        this.stream = stream;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public long length() {
        return stream.length();
    }

    public long sent() {
        return sent;
    }

    public boolean complete() {
        return sent == stream.length();
    }

    /** Reads the next {@code n} envelope bytes into {@code buf} and counts them as sent. */
    int next(byte[] buf, int n) throws IOException {
        int off = 0;
        while (off < n) {
            int r = stream.read(buf, off, n - off);
            if (r < 0) {
                throw new IOException("the envelope ended before its announced length");
            }
            off += r;
        }
        digest.update(buf, 0, n);
        sent += n;
        return n;
    }

    /** The SHA-256 (hex) of the whole envelope; only once all of it was sent. */
    String sha256() {
        if (!complete()) {
            throw new IllegalStateException("the envelope is not sent completely");
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    @Override
    public void close() {
        stream.close();
    }
}
