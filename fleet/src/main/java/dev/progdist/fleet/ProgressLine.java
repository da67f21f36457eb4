package dev.progdist.fleet;

import java.io.PrintStream;

/**
 * A one-line text progress bar for long CLI work ({@code fleet provision}): redrawn in place on a
 * terminal, or a plain line every tenth of the way when the output is a file or pipe.
 */
public final class ProgressLine {

    private static final int WIDTH = 30;

    private final String label;
    private final int total;
    private final PrintStream out;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private int lastTenth = -1;
    private long lastDraw;

    public ProgressLine(String label, int total, PrintStream out, boolean terminal) {
        this.label = label;
        this.total = Math.max(1, total);
        this.out = out;
        this.terminal = terminal;
    }

    /** A bar on standard output, redrawn in place when a console is attached. */
    public static ProgressLine onStdout(String label, int total) {
        return new ProgressLine(label, total, System.out, System.console() != null);
    }

    /** Shows that {@code done} of the total are done (call from one thread). */
    public synchronized void update(int done) {
        long now = System.nanoTime();
        if (terminal) {
            if (done < total && now - lastDraw < 100_000_000L) {
                return; // at most ten redraws a second
            }
            lastDraw = now;
            out.print("\r" + render(done, now) + (done >= total ? System.lineSeparator() : ""));
            out.flush();
        } else {
            int tenth = (int) (10L * done / total);
            if (tenth != lastTenth) {
                lastTenth = tenth;
                out.println(render(done, now));
            }
        }
    }

    String render(int done, long now) {
        int filled = (int) ((long) WIDTH * Math.min(done, total) / total);
        double seconds = Math.max(1e-3, (now - start) / 1e9);
        double rate = done / seconds;
        String eta = done >= total || rate <= 0 ? "" : String.format(" ETA %ds", Math.round((total - done) / rate));
        return String.format("%s [%s%s] %d/%d %.1f/s%s", label, "#".repeat(filled), " ".repeat(WIDTH - filled), done,
                total, rate, eta);
    }
}
