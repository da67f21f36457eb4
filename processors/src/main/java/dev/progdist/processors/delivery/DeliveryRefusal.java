package dev.progdist.processors.delivery;

/**
 * Why the server refuses or abandons a delivery. {@link #code()} is a stable lower-case token that
 * goes to the TRP in an Error message and into the delivery ledger ({@code not-entitled},
 * {@code unknown-program}, {@code rollback-refused}, {@code receipt-invalid}, ...); the detail is
 * for people and holds no key material.
 */
public final class DeliveryRefusal extends RuntimeException {

    private final String code;

    public DeliveryRefusal(String code, String detail) {
        super(detail);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
