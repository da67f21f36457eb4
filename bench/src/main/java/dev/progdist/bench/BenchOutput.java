package dev.progdist.bench;

import java.io.PrintStream;
import java.util.Locale;

/** One figure per line, label then value with its unit, as {@code bench channel} prints them. */
public final class BenchOutput {

    private final PrintStream out;

    public BenchOutput(PrintStream out) {
        this.out = out;
    }

    public void title(String text) {
        out.println(text);
        out.flush();
    }

    public void section(String name) {
        out.println();
        out.println("== " + name);
        out.flush();
    }

    public void line(String label, Object value) {
        out.println(label.isEmpty() ? "  " + value : String.format(Locale.ROOT, "%-52s %s", label, value));
        out.flush();
    }

    public static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    public static String mbps(double mbPerSecond) {
        return String.format(Locale.ROOT, "%.1f MB/s", mbPerSecond);
    }

    public static String ms(double millis) {
        return String.format(Locale.ROOT, "%.2f ms", millis);
    }

    public static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    /** Other processes compete for the same cores: say how busy the machine was. */
    public static String load() {
        double l = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return l < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", l);
    }
}
