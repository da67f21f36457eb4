package dev.progdist.protocol.keys;

/**
 * The one exception type of the progdist PKI: every failed check (bad signature, wrong key type,
 * unreadable store, mismatched certificate, ...) ends in this exception, so callers can fail
 * closed with a single {@code catch}.
 *
 * <p>Messages say what is wrong and where (a path, a device ID, an algorithm name); they never
 * contain passwords, key material or the contents of the input that was refused.
 */
public class PkiException extends RuntimeException {

    public PkiException(String message) {
        super(message);
    }

    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}
