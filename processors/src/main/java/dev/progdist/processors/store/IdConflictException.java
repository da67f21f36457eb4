package dev.progdist.processors.store;

/**
 * A new ID equals an existing one under case folding ({@code Hello} and {@code hello}): both would
 * name the same file in a TRP's store on a case-insensitive file system, so the second is refused.
 * The message names both IDs; neither is secret.
 */
public class IdConflictException extends IllegalArgumentException {

    private final String existing;

    public IdConflictException(String kind, String requested, String existing) {
        super(kind + " '" + requested + "' differs only in case from the existing " + kind + " '" + existing
                + "': IDs that differ only in case are not allowed");
        this.existing = existing;
    }

    /** The ID already stored. */
    public String existing() {
        return existing;
    }

    /** True when {@code e} is a unique violation of one of the case-folded indexes of migration V4. */
    public static boolean isFoldedUniqueViolation(java.sql.SQLException e) {
        for (java.sql.SQLException s = e; s != null; s = s.getNextException()) {
            String m = s.getMessage();
            if ("23505".equals(s.getSQLState()) && m != null && m.toLowerCase(java.util.Locale.ROOT).contains("_folded")) {
                return true;
            }
        }
        return false;
    }
}
