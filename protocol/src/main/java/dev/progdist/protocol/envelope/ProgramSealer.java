package dev.progdist.protocol.envelope;

import dev.progdist.protocol.program.EnvelopeMode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * Convenience for tools: seals a whole program file into an envelope file. The envelope is
 * written to a staging file next to {@code out} and moved into place only when complete, so
 * {@code out} never holds a partial envelope. Same guarantees as {@link EnvelopeStream}.
 */
public final class ProgramSealer {

    private ProgramSealer() {
    }

    /**
     * Seals {@code plaintext} for {@code recipient} in {@code mode} into {@code out} (replaced if present).
     *
     * @throws EnvelopeException {@code envelope-unsupported-key}, {@code envelope-io}, or
     *         {@code envelope-malformed} for a program larger than the formats allow
     */
    public static void seal(EnvelopeMode mode, X509Certificate recipient, Path plaintext, Path out,
            SecureRandom random) throws EnvelopeException {
        Objects.requireNonNull(out, "out");
        RecipientKeys keys = RecipientKeys.forRecipient(mode, recipient, random);
        Path staging = null;
        boolean done = false;
        try (EnvelopeStream envelope = EnvelopeStream.open(keys, plaintext)) {
            staging = FileOutputs.stagingFor(out);
            try (FileChannel channel = FileChannel.open(staging, StandardOpenOption.WRITE)) {
                OutputStream sink = Channels.newOutputStream(channel);
                copy(envelope, sink);
                channel.force(true);
            }
            FileOutputs.moveIntoPlace(staging, out);
            done = true;
        } catch (IOException e) {
            throw EnvelopeException.io(e);
        } finally {
            if (!done) {
                FileOutputs.deleteQuietly(staging);
            }
        }
    }

    private static void copy(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[Envelopes.CHUNK * 4];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
        }
    }
}
