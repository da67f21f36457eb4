package dev.progdist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * {@code rollout watch}: a progress bar per group (installed, failed, excluded of its size, with the
 * rate and an ETA), redrawn in place on a terminal and printed as a new block when the output is a
 * file, until the rollout ends or halts.
 */
final class RolloutWatch {

    private static final Set<String> ENDED = Set.of("finished", "stopped", "failed");
    private static final int BAR = 30;

    private RolloutWatch() {
    }

    /** @return 0 when the rollout finished; 3 when a threshold paused or stopped it, or it failed */
    static int follow(Supplier<JsonNode> fetch, long intervalMillis, PrintStream out) {
        boolean terminal = System.console() != null;
        long startNanos = System.nanoTime();
        long firstDone = -1;
        int lastLines = 0;
        String lastBlock = "";
        while (true) {
            JsonNode r = fetch.get();
            long done = finished(r.path("counts"));
            if (firstDone < 0) {
                firstDone = done;
            }
            double seconds = Math.max(0.001, (System.nanoTime() - startNanos) / 1e9);
            double rate = (done - firstDone) / seconds;
            String block = render(r, rate);
            if (terminal) {
                if (lastLines > 0) {
                    out.print("\033[" + lastLines + "F\033[J");
                }
                out.print(block);
                lastLines = (int) block.chars().filter(c -> c == '\n').count();
            } else if (!block.equals(lastBlock)) {
                out.print(block);
            }
            lastBlock = block;
            out.flush();
            String status = r.path("status").asText();
            if (ENDED.contains(status) || status.equals("paused")) {
                RolloutPrinter.summary(r, out);
                return status.equals("finished") ? 0 : RolloutCommand.EXIT_HALTED;
            }
            LockSupport.parkNanos(Duration.ofMillis(Math.max(100, intervalMillis)).toNanos());
            if (Thread.currentThread().isInterrupted()) {
                return 130;
            }
        }
    }

    static long finished(JsonNode counts) {
        return counts.path("installed").asLong(0) + counts.path("failed").asLong(0) + counts.path("timed-out").asLong(0)
                + counts.path("excluded").asLong(0) + counts.path("cancelled").asLong(0);
    }

    static String render(JsonNode r, double rate) {
        StringBuilder b = new StringBuilder();
        b.append("rollout ").append(r.path("id").asText()).append(" [").append(RolloutPrinter.status(r)).append("]\n");
        for (JsonNode g : r.path("groups")) {
            JsonNode c = g.path("counts");
            long size = Math.max(0, g.path("size").asLong());
            long installed = c.path("installed").asLong(0);
            long failed = c.path("failed").asLong(0) + c.path("timed-out").asLong(0);
            long excluded = c.path("excluded").asLong(0) + c.path("cancelled").asLong(0);
            long done = installed + failed + excluded;
            int filled = size == 0 ? BAR : (int) (BAR * done / size);
            long left = size - done;
            String eta = !"running".equals(g.path("status").asText()) || rate <= 0 || left <= 0 ? "" :
                    ", ETA " + Duration.ofSeconds((long) Math.ceil(left / rate)).toString().substring(2).toLowerCase();
            b.append(String.format("  group %-2d %-9s [%s%s] %d/%d installed, %d failed, %d excluded%s%s%n",
                    g.path("group").asInt(), g.path("status").asText(), "#".repeat(filled), ".".repeat(BAR - filled),
                    installed, size, failed, excluded, rate > 0 ? String.format(", %.1f/s", rate) : "", eta));
        }
        return b.toString();
    }
}
