package dev.progdist.trp;

import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.channel.ChannelMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * One delivery as the TRP receives it: the envelope goes to a staging file as its chunks arrive
 * (memory stays one chunk), hashed on the way, and is opened only once it is complete and its
 * length and digest match what the server announced.
 */
final class TrpDelivery implements AutoCloseable {

    private final ChannelMessage.DeliveryStart start;
    private final X509Certificate publisher;
    private final Path envelope;
    private final FileChannel out;
    private final MessageDigest digest;
    private long received;

    TrpDelivery(ChannelMessage.DeliveryStart start, X509Certificate publisher, Path stagingDir) {
        this.start = start;
        this.publisher = publisher;
        try {
            this.envelope = Files.createTempFile(stagingDir, "envelope-", ".part");
            this.out = FileChannel.open(envelope, StandardOpenOption.WRITE);
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage a delivery", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    ChannelMessage.DeliveryStart start() {
        return start;
    }

    X509Certificate publisher() {
        return publisher;
    }

    long received() {
        return received;
    }

    Path envelope() {
        return envelope;
    }

    void append(ByteBuffer data) {
        int n = data.remaining();
        if (received + n > start.envelopeSize()) {
            throw new TrpRefusal(ChannelCode.ENVELOPE_SIZE_MISMATCH, "the server sent more envelope bytes than it announced");
        }
        digest.update(data.duplicate());
        try {
            while (data.hasRemaining()) {
                out.write(data);
            }
        } catch (IOException e) {
            throw new TrpRefusal(ChannelCode.STORAGE_FAILED, "cannot stage the envelope: " + e.getClass().getSimpleName(), e);
        }
        received += n;
    }

    /** Closes the staged envelope after checking its length and digest; returns the digest (hex). */
    String complete(String announcedSha256) {
        try {
            out.close();
        } catch (IOException e) {
            throw new TrpRefusal(ChannelCode.STORAGE_FAILED, "cannot stage the envelope", e);
        }
        if (received != start.envelopeSize()) {
            throw new TrpRefusal(ChannelCode.ENVELOPE_SIZE_MISMATCH, "the envelope is " + received + " bytes, not the "
                    + start.envelopeSize() + " announced");
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!MessageDigest.isEqual(actual.getBytes(), announcedSha256.getBytes())) {
            throw new TrpRefusal(ChannelCode.ENVELOPE_DIGEST_MISMATCH, "the envelope's SHA-256 differs from the one announced");
        }
        return actual;
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // closing a staging file we are about to delete
        }
        try {
            Files.deleteIfExists(envelope);
        } catch (IOException ignored) {
            // a stale staging file is harmless and never installed
        }
    }
}
