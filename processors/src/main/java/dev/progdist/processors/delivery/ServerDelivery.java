package dev.progdist.processors.delivery;

import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.envelope.EnvelopeStream;
import dev.progdist.protocol.envelope.RecipientKeys;
import dev.progdist.protocol.program.EnvelopeMode;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * One delivery in progress on a second path, from Fetch to Receipt. Owned by its channel, used by
 * one request at a time. Holds the envelope stream (and through it the content or payload key)
 * until the delivery ends; {@link #close()} releases both.
 */
public final class ServerDelivery implements AutoCloseable {

    /** Where the delivery stands. */
    public enum Phase { REQUESTED, SENDING, SENT, DONE }

    private final String deliveryId;
    private final String programId;
    private final String requestedVersion;
    private final String requestedMode;
    private ProgramCatalog.ProgramVersion program;
    private EnvelopeMode mode;
    private RecipientKeys keys;
    private EnvelopeStream envelope;
    private final MessageDigest envelopeDigest;
    private long sent;
    private String serverNonce;
    private String envelopeSha256;
    private Phase phase = Phase.REQUESTED;

    ServerDelivery(String deliveryId, String programId, String requestedVersion, String requestedMode) {
        this.deliveryId = deliveryId;
        this.programId = programId;
        this.requestedVersion = requestedVersion;
        this.requestedMode = requestedMode;
        try {
            this.envelopeDigest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public String deliveryId() {
        return deliveryId;
    }

    public String programId() {
        return programId;
    }

    /** The version the TRP asked for, or empty for the latest. */
    public String requestedVersion() {
        return requestedVersion;
    }

    /** The mode the TRP asked for, or empty for the server's choice. */
    public String requestedMode() {
        return requestedMode;
    }

    public ProgramCatalog.ProgramVersion program() {
        return program;
    }

    void program(ProgramCatalog.ProgramVersion p) {
        this.program = p;
    }

    public EnvelopeMode mode() {
        return mode;
    }

    RecipientKeys keys() {
        return keys;
    }

    void keys(RecipientKeys k) {
        this.keys = k;
        this.mode = k.mode();
    }

    EnvelopeStream envelope() {
        return envelope;
    }

    void envelope(EnvelopeStream e, String nonce) {
        this.envelope = e;
        this.serverNonce = nonce;
        this.phase = Phase.SENDING;
    }

    MessageDigest envelopeDigest() {
        return envelopeDigest;
    }

    long sent() {
        return sent;
    }

    void sent(long n) {
        this.sent = n;
    }

    public String serverNonce() {
        return serverNonce;
    }

    /** The SHA-256 (hex) of the whole envelope as sent; null until the last byte has gone. */
    public String envelopeSha256() {
        return envelopeSha256;
    }

    void allSent(String sha256) {
        this.envelopeSha256 = sha256;
        this.phase = Phase.SENT;
        closeStream();
    }

    public Phase phase() {
        return phase;
    }

    void done() {
        phase = Phase.DONE;
        close();
    }

    /** Ends the delivery without a receipt (its failure is recorded by the caller). */
    public void abandon() {
        done();
    }

    @Override
    public void close() {
        closeStream();
        keys = null;
    }

    private void closeStream() {
        if (envelope != null) {
            envelope.close();
            envelope = null;
        }
    }
}
