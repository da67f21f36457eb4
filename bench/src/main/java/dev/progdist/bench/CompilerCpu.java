package dev.progdist.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * CPU time a JVM's JIT compiler threads have used so far, from Linux's {@code /proc/PID/task/*}:
 * the threads named {@code C1 CompilerThre…} and {@code C2 CompilerThre…}. A rollout measured while
 * the JIT still compiles the hot paths counts that compilation as per-device cost; this says how
 * much of it there was. Empty where {@code /proc} is not readable.
 */
final class CompilerCpu {

    /** Linux reports /proc times in USER_HZ ticks, 100 per second on every architecture the JDK runs on. */
    private static final long TICKS_PER_SECOND = 100;

    private CompilerCpu() {
    }

    static Optional<Duration> of(long pid) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        if (!Files.isDirectory(tasks)) {
            return Optional.empty();
        }
        long ticks = 0;
        try (Stream<Path> threads = Files.list(tasks)) {
            for (Path t : (Iterable<Path>) threads::iterator) {
                try {
                    String name = Files.readString(t.resolve("comm")).trim();
                    if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                        ticks += utimePlusStime(Files.readString(t.resolve("stat")));
                    }
                } catch (IOException | RuntimeException gone) {
                    // the thread ended between the listing and the read: it adds nothing more
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofMillis(ticks * 1000 / TICKS_PER_SECOND));
    }

    /** Fields 14 and 15 of a {@code stat} line; the name in parentheses may hold spaces, so count after its ')'. */
    static long utimePlusStime(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
