package dev.progdist.protocol.keys;

/** A signature did not verify. One constant message for every bad input. */
public final class InvalidSignatureException extends Exception {

    private static final long serialVersionUID = 1L;

    public InvalidSignatureException() {
        super("invalid signature");
    }
}
