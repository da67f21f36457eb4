package dev.progdist.protocol.envelope;

import dev.progdist.protocol.program.EnvelopeMode;

/**
 * What {@link EnvelopeOpener#open} verified: the envelope's format, the program's size, and the
 * lower-case hex SHA-256 of the program bytes and of the whole envelope file (the values an
 * {@link dev.progdist.protocol.program.InstallReceipt} reports).
 */
public record OpenedEnvelope(EnvelopeMode mode, long size, String plaintextSha256Hex, String envelopeSha256Hex) {
}
