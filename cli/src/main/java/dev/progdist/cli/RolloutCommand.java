package dev.progdist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.DeviceId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./progdist rollout …}: rollouts are run by the server, so every subcommand goes through the
 * operator API ({@code /api/v1/rollouts}) as {@code --operator}. {@code create} prints the new
 * rollout's ID as its last line; {@code watch} exits 0 when the rollout finished and 3 when a
 * threshold paused or stopped it (or it failed).
 */
@Command(name = "rollout", mixinStandardHelpOptions = true,
        description = "Distribute a program version to many devices in groups, counted by signed receipts.",
        subcommands = {RolloutCommand.Create.class, RolloutCommand.ListRollouts.class, RolloutCommand.Show.class,
            RolloutCommand.Devices.class, RolloutCommand.Watch.class, RolloutCommand.Approve.class,
            RolloutCommand.Deny.class, RolloutCommand.Start.class, RolloutCommand.Pause.class,
            RolloutCommand.Resume.class, RolloutCommand.Stop.class, RolloutCommand.TriggerNextGroup.class,
            RolloutCommand.Retry.class})
final class RolloutCommand {

    /** Exit status of {@code watch} when a threshold paused or stopped the rollout. */
    static final int EXIT_HALTED = 3;
    /** Most entries a devices file may hold (the server has the same limit). */
    static final int MAX_DEVICES_FILE_ENTRIES = 100_000;
    static final long MAX_DEVICES_FILE_BYTES = 8L * 1024 * 1024;

    private RolloutCommand() {
    }

    /** {@code --operator} (required here), {@code --server}, {@code --trust-ca}. */
    static class Api {
        @Mixin
        HomeOption homeOption;

        @Mixin
        ServerApi server;

        <T> T call(Function<OperatorLogin.Login, T> viaApi) {
            if (server.operator == null) {
                throw new IllegalArgumentException("rollouts run in the server: give --operator USER");
            }
            return server.change(homeOption.home(), viaApi, () -> {
                throw new IllegalStateException("unreachable");
            });
        }
    }

    static String path(String id) {
        if (id == null || !id.matches("[A-Za-z0-9-]{1,36}")) {
            throw new IllegalArgumentException("not a rollout ID: " + id);
        }
        return "/api/v1/rollouts/" + id;
    }

    static final class TargetChoice {
        @Option(names = "--devices-file", paramLabel = "FILE",
                description = "CSV (first column; a header line and # comments allowed) or JSON (array of IDs) of device IDs")
        Path devicesFile;

        @Option(names = "--filter", paramLabel = "EXPR",
                description = "devices of the registry matching all terms: owner=U device=GLOB tag=T (tag repeatable)")
        String filter;

        @Option(names = "--all", description = "every registered device")
        boolean all;
    }

    // no mixinStandardHelpOptions: its -V/--version would clash with the program's --version
    @Command(name = "create", description = "Create a rollout (prints its ID last).")
    static final class Create implements Callable<Integer> {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Mixin
        Api api;

        @Option(names = "--program", required = true, description = "program ID")
        String program;

        @Option(names = "--version", required = true, paramLabel = "V", description = "published version to deliver")
        String version;

        @ArgGroup(exclusive = true, multiplicity = "1")
        TargetChoice targets;

        @Option(names = "--name", description = "a name for people")
        String name;

        @Option(names = "--groups", paramLabel = "P,P,…", split = ",",
                description = "cumulative percentages of the targets per group, the last 100 (default: one group)")
        List<Integer> groups;

        @Option(names = "--group-filter", paramLabel = "EXPR",
                description = "an explicit group: the remaining targets matching EXPR (repeatable, in order; leftovers form a last group)")
        List<String> groupFilters;

        @Option(names = "--success-threshold", paramLabel = "PERCENT",
                description = "percent of a group installed that completes it (1-100, default 100)")
        Integer successThreshold;

        @Option(names = "--on-success", paramLabel = "next|pause", description = "after a group's success: start the next group (default) or pause")
        String onSuccess;

        @Option(names = "--error-threshold", paramLabel = "P%|N",
                description = "failed devices of a group that pause the rollout: a percentage (10%%) or a count (3)")
        String errorThreshold;

        @Option(names = "--security-threshold", paramLabel = "N",
                description = "security failures (refused certificate, forged receipt, bad envelope…) that stop the rollout at once (default 1)")
        Integer securityThreshold;

        @Option(names = "--device-timeout", paramLabel = "D", description = "time a device has to install, e.g. 30m, 2h, PT45M")
        String deviceTimeout;

        @Option(names = "--retries", paramLabel = "N", description = "automatic retries of a failed device, with exponential back-off")
        Integer retries;

        @Option(names = "--retry-backoff", paramLabel = "D", description = "first retry delay, doubled each time (e.g. 30s)")
        String retryBackoff;

        @Option(names = "--order", paramLabel = "registration|random", description = "how targets fill the groups")
        String order;

        @Option(names = "--seed", paramLabel = "N", description = "with --order random: the seed (recorded either way, to replay an order)")
        Long seed;

        @Option(names = "--start-at", paramLabel = "INSTANT", description = "start no earlier than this (ISO-8601, e.g. 2026-12-24T22:00:00Z)")
        String startAt;

        @Option(names = "--window", paramLabel = "HH:MM-HH:MM", description = "maintenance window: no group starts and no delivery begins outside it")
        String window;

        @Option(names = "--window-zone", paramLabel = "ZONE", description = "time zone of --window (default UTC), e.g. Europe/Berlin")
        String windowZone;

        @Option(names = "--dynamic", description = "devices registered later that match --filter join, until the rollout is stopped")
        boolean dynamic;

        @Option(names = "--mode", paramLabel = "direct|wrapped", description = "envelope mode (default: the program's or the server's)")
        String mode;

        @Option(names = "--fresh-key-per-group", description = "wrapped: a new content key for each group instead of one per rollout")
        boolean freshKeyPerGroup;

        @Option(names = "--start", description = "start as soon as it is ready (after approval, when required)")
        boolean start;

        @Override
        public Integer call() {
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("programId", program);
            request.put("version", version);
            putIfSet(request, "name", name);
            Map<String, Object> t = new LinkedHashMap<>();
            if (targets.devicesFile != null) {
                t.put("devices", readDevicesFile(targets.devicesFile));
            } else if (targets.filter != null) {
                t.put("filter", targets.filter);
            } else {
                t.put("all", true);
            }
            request.put("targets", t);
            if (groups != null && groupFilters != null) {
                throw new IllegalArgumentException("give --groups or --group-filter, not both");
            }
            if (groups != null) {
                request.put("groups", groups.stream().map(p -> Map.of("percent", p)).toList());
            } else if (groupFilters != null) {
                request.put("groups", groupFilters.stream().map(f -> Map.of("filter", f)).toList());
            }
            putIfSet(request, "successThreshold", successThreshold);
            putIfSet(request, "onSuccess", onSuccess);
            putIfSet(request, "errorThreshold", errorThreshold);
            putIfSet(request, "securityThreshold", securityThreshold);
            putIfSet(request, "deviceTimeout", deviceTimeout);
            putIfSet(request, "retries", retries);
            putIfSet(request, "retryBackoff", retryBackoff);
            putIfSet(request, "order", order);
            putIfSet(request, "seed", seed);
            putIfSet(request, "startAt", startAt);
            putIfSet(request, "window", window);
            putIfSet(request, "windowZone", windowZone);
            putIfSet(request, "mode", mode);
            if (dynamic) {
                request.put("dynamic", true);
            }
            if (freshKeyPerGroup) {
                request.put("freshKeyPerGroup", true);
            }
            if (start) {
                request.put("start", true);
            }
            JsonNode created = api.call(l -> l.client().postJson(l.session(), "/api/v1/rollouts", request));
            RolloutPrinter.summary(created, System.out);
            System.out.println(created.path("id").asText());
            return 0;
        }

        private static void putIfSet(Map<String, Object> m, String key, Object value) {
            if (value != null) {
                m.put(key, value);
            }
        }
    }

    /**
     * The device IDs of a devices file: JSON (an array of strings, or {@code {"devices": […]}}) or
     * CSV/plain text (the first column of each line; blank lines, {@code #} comments and a header
     * line {@code deviceId} are skipped). Every malformed line is named, all at once.
     */
    static List<String> readDevicesFile(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_DEVICES_FILE_BYTES) {
                throw new IllegalArgumentException(file + " is larger than " + (MAX_DEVICES_FILE_BYTES >> 20) + " MiB");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String text = new String(bytes, StandardCharsets.UTF_8).strip();
        List<String> ids = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        if (text.startsWith("[") || text.startsWith("{")) {
            JsonNode root;
            try {
                root = Json.mapper().readTree(text);
            } catch (IOException e) {
                throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
            JsonNode list = root.isObject() ? root.path("devices") : root;
            if (!list.isArray()) {
                throw new IllegalArgumentException(file + ": expected a JSON array of device IDs or {\"devices\": [...]}");
            }
            for (int i = 0; i < list.size(); i++) {
                JsonNode n = list.get(i);
                if (!n.isTextual() || !DeviceId.isValid(n.asText())) {
                    bad.add("entry " + (i + 1) + " (" + n + ")");
                } else {
                    ids.add(n.asText());
                }
            }
        } else {
            String[] lines = text.split("\r?\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i].strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String first = line.split("[,;\t]", 2)[0].strip();
                if (first.startsWith("\"") && first.endsWith("\"") && first.length() >= 2) {
                    first = first.substring(1, first.length() - 1);
                }
                if (ids.isEmpty() && bad.isEmpty() && first.toLowerCase(Locale.ROOT).matches("device(_?id)?|deviceid")) {
                    continue;
                }
                if (!DeviceId.isValid(first)) {
                    bad.add("line " + (i + 1) + " ('" + (first.length() > 40 ? first.substring(0, 40) + "…" : first) + "')");
                } else {
                    ids.add(first);
                }
            }
        }
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException(file + ": not a device ID at " + String.join(", ",
                    bad.size() > 10 ? bad.subList(0, 10) : bad) + (bad.size() > 10 ? " and " + (bad.size() - 10) + " more" : ""));
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException(file + " names no device");
        }
        if (ids.size() > MAX_DEVICES_FILE_ENTRIES) {
            throw new IllegalArgumentException(file + " names more than " + MAX_DEVICES_FILE_ENTRIES + " devices");
        }
        return ids;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List rollouts, newest first.")
    static final class ListRollouts implements Callable<Integer> {
        @Mixin
        Api api;

        @Option(names = "--status", paramLabel = "S", description = "only rollouts in this state")
        String status;

        @Option(names = "--json", description = "print the server's JSON")
        boolean json;

        @Override
        public Integer call() {
            String query = status == null ? "" : "?status=" + java.net.URLEncoder.encode(status, StandardCharsets.UTF_8);
            JsonNode list = api.call(l -> l.client().getJson(l.session(), "/api/v1/rollouts" + query));
            if (json) {
                System.out.println(list.toPrettyString());
            } else {
                RolloutPrinter.list(list.path("rollouts"), System.out);
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a rollout: state, groups, counts.")
    static final class Show implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--json", description = "print the server's JSON")
        boolean json;

        @Override
        public Integer call() {
            JsonNode r = api.call(l -> l.client().getJson(l.session(), path(id)));
            if (json) {
                System.out.println(r.toPrettyString());
            } else {
                RolloutPrinter.detail(r, System.out);
            }
            return 0;
        }
    }

    @Command(name = "devices", mixinStandardHelpOptions = true, description = "Per-device state of a rollout, a page at a time.")
    static final class Devices implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--state", paramLabel = "S", description = "only devices in this state (e.g. failed, timed-out, excluded)")
        String state;

        @Option(names = "--page", defaultValue = "1", description = "page number, from 1 (default: ${DEFAULT-VALUE})")
        int page;

        @Option(names = "--page-size", defaultValue = "100", description = "devices per page (default: ${DEFAULT-VALUE})")
        int pageSize;

        @Option(names = "--json", description = "print the server's JSON")
        boolean json;

        @Override
        public Integer call() {
            StringBuilder q = new StringBuilder("?page=").append(page).append("&pageSize=").append(pageSize);
            if (state != null) {
                q.append("&state=").append(java.net.URLEncoder.encode(state, StandardCharsets.UTF_8));
            }
            JsonNode p = api.call(l -> l.client().getJson(l.session(), path(id) + "/devices" + q));
            if (json) {
                System.out.println(p.toPrettyString());
            } else {
                RolloutPrinter.devices(p, System.out);
            }
            return 0;
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = "Follow a rollout with a progress bar per group until it ends; exit 0 when it finished, 3 when a threshold paused or stopped it.")
    static final class Watch implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--interval", defaultValue = "1000", paramLabel = "MS", description = "poll interval in milliseconds (default: ${DEFAULT-VALUE})")
        long intervalMillis;

        @Override
        public Integer call() {
            path(id);
            return api.call(l -> RolloutWatch.follow(() -> l.client().getJson(l.session(), path(id)), intervalMillis,
                    System.out));
        }
    }

    /**
     * A state change by ID, answered with the rollout: {@code POST /api/v1/rollouts/{id}/<the
     * subcommand's name>}.
     */
    abstract static class Action implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "ID")
        String id;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        Object body() {
            return Map.of();
        }

        /** Posts the action and prints the rollout it answers with. */
        JsonNode act() {
            JsonNode r = api.call(l -> l.client().postJson(l.session(), path(id) + "/" + spec.name(), body()));
            RolloutPrinter.summary(r, System.out);
            return r;
        }

        @Override
        public Integer call() {
            act();
            return 0;
        }
    }

    abstract static class Decision extends Action {
        @Option(names = "--remark", paramLabel = "TEXT", description = "why (kept with the rollout)")
        String remark;

        @Override
        Object body() {
            return remark == null ? Map.of() : Map.of("remark", remark);
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true, description = "Approve a rollout (an operator other than its creator).")
    static final class Approve extends Decision {
    }

    @Command(name = "deny", mixinStandardHelpOptions = true, description = "Deny a rollout waiting for approval, with a remark.")
    static final class Deny extends Decision {
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start a ready rollout.")
    static final class Start extends Action {
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pause: no new device starts; deliveries in progress finish.")
    static final class Pause extends Action {
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused rollout.")
    static final class Resume extends Action {
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Stop: cancel what has not started; a delivery in progress ends at its next window.")
    static final class Stop extends Action {
    }

    @Command(name = "trigger-next-group", mixinStandardHelpOptions = true, description = "Start the next group now, whatever the thresholds say.")
    static final class TriggerNextGroup extends Action {
    }

    @Command(name = "retry", mixinStandardHelpOptions = true,
            description = "Make a new rollout of the devices that failed or timed out (prints its ID last).")
    static final class Retry extends Action {
        @Override
        public Integer call() {
            System.out.println(act().path("id").asText());
            return 0;
        }
    }
}
