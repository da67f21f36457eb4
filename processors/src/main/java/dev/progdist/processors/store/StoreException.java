package dev.progdist.processors.store;

/** The database failed; the message names the operation, never the data. */
public class StoreException extends RuntimeException {

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
