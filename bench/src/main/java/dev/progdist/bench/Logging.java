package dev.progdist.bench;

/** Raises the level of a logger subtree when Log4j 2 is the backend (it is under ./progdist); otherwise does nothing. */
public final class Logging {

    private Logging() {
    }

    /** Sets {@code logger} (and its children) to WARN; returns false if that was not possible. */
    public static boolean warnOnly(String logger) {
        try {
            Class<?> level = Class.forName("org.apache.logging.log4j.Level");
            Object warn = level.getField("WARN").get(null);
            Class.forName("org.apache.logging.log4j.core.config.Configurator")
                    .getMethod("setLevel", String.class, level).invoke(null, logger, warn);
            return true;
        } catch (ReflectiveOperationException | LinkageError e) {
            return false;
        }
    }
}
