package dev.progdist.trp;

/**
 * Why the TRP refuses a delivery. {@link #code()} is a stable lower-case token the TRP sends to the
 * server in an Error message (the server records it in its ledger as {@code trp-<code>}); the
 * message is for people and never holds key material or program bytes.
 */
public final class TrpRefusal extends RuntimeException {

    private final String code;

    public TrpRefusal(String code, String message) {
        super(message);
        this.code = code;
    }

    public TrpRefusal(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
