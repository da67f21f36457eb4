package dev.progdist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.List;

/** How the rollout commands print the server's rollout JSON for people. */
final class RolloutPrinter {

    /** The assignment states, in the order they are printed (the keys of every {@code counts}). */
    static final List<String> STATES = List.of("scheduled", "offered", "delivering", "installed", "failed", "timed-out",
            "excluded", "cancelled");

    private RolloutPrinter() {
    }

    static void summary(JsonNode r, PrintStream out) {
        out.println("Rollout " + r.path("id").asText() + ": " + r.path("programId").asText() + " "
                + r.path("version").asText() + " (" + r.path("mode").asText() + "), " + status(r) + "; "
                + counts(r.path("counts")));
    }

    static String status(JsonNode r) {
        String reason = r.path("reason").asText("");
        return r.path("status").asText() + (reason.isEmpty() ? "" : " (" + reason + ")");
    }

    static String counts(JsonNode counts) {
        StringBuilder b = new StringBuilder();
        for (String s : STATES) {
            long n = counts.path(s).asLong(0);
            if (n > 0) {
                b.append(b.isEmpty() ? "" : ", ").append(n).append(' ').append(s);
            }
        }
        return b.isEmpty() ? "no devices" : b.toString();
    }

    static void list(JsonNode rollouts, PrintStream out) {
        if (rollouts.isEmpty()) {
            out.println("No rollouts.");
            return;
        }
        out.printf("%-36s  %-22s  %-24s  %s%n", "ID", "STATUS", "PROGRAM", "CREATED");
        for (JsonNode r : rollouts) {
            out.printf("%-36s  %-22s  %-24s  %s%n", r.path("id").asText(), status(r),
                    r.path("programId").asText() + " " + r.path("version").asText(), r.path("createdAt").asText());
        }
    }

    static void detail(JsonNode r, PrintStream out) {
        summary(r, out);
        String detail = r.path("reasonDetail").asText("");
        if (!detail.isEmpty()) {
            out.println("  reason: " + detail);
        }
        out.println("  created by " + r.path("createdBy").asText() + " at " + r.path("createdAt").asText()
                + (r.path("decidedBy").isTextual() ? "; decided by " + r.path("decidedBy").asText() : "")
                + (r.path("decisionRemark").isTextual() ? " (" + r.path("decisionRemark").asText() + ")" : ""));
        out.println("  security failures: " + r.path("securityFailures").asLong(0));
        for (JsonNode g : r.path("groups")) {
            out.println("  group " + g.path("group").asInt() + " [" + g.path("status").asText() + "] "
                    + g.path("size").asLong() + " devices (" + g.path("selector").asText("") + "), success at "
                    + g.path("successThreshold").asText() + "%, errors at " + g.path("errorThreshold").asText() + ": "
                    + counts(g.path("counts")));
        }
    }

    static void devices(JsonNode page, PrintStream out) {
        JsonNode devices = page.path("devices");
        out.printf("%-24s  %5s  %-10s  %8s  %-28s  %s%n", "DEVICE", "GROUP", "STATE", "ATTEMPTS", "REASON", "FINISHED");
        for (JsonNode d : devices) {
            out.printf("%-24s  %5d  %-10s  %8d  %-28s  %s%n", d.path("deviceId").asText(), d.path("group").asInt(),
                    d.path("state").asText(), d.path("attempts").asInt(), d.path("reason").asText(""),
                    d.path("finishedAt").asText(""));
        }
        out.println("Page " + page.path("page").asInt() + " (" + devices.size() + " of " + page.path("total").asLong()
                + " devices)");
    }
}
