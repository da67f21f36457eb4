package dev.progdist.it;

/** Closes what a test started, every part even when one before it fails. */
final class Closing {

    private Closing() {
    }

    /** Closes each non-null part in order; throws the first failure with the later ones suppressed. */
    static void all(AutoCloseable... parts) throws Exception {
        Exception failed = null;
        for (AutoCloseable part : parts) {
            if (part == null) {
                continue;
            }
            try {
                part.close();
            } catch (Exception e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }
}
