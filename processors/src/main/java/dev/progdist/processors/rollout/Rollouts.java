package dev.progdist.processors.rollout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.progdist.processors.auth.SessionStore;
import dev.progdist.processors.pki.CertificateValidation;
import dev.progdist.processors.program.Entitlements;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.StoreException;
import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.wire.ProblemType;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rollout service: creation (validated first, so a refusal creates nothing), the operators'
 * actions, the views, and the gateways' check-in. Thread-safe; all state is in the database, so
 * any number of instances may serve the same rollouts. Every action locks the rollout's row, checks
 * its state and refuses with {@code invalid-state} when the action does not fit.
 */
public final class Rollouts {

    private static final Logger LOG = LoggerFactory.getLogger(Rollouts.class);

    /** Most device IDs a devices list may hold. */
    public static final int MAX_LISTED = 100_000;
    /** Most groups a rollout may have (dynamic groups aside). */
    public static final int MAX_GROUPS = 100;
    /** Most entries named in one refusal. */
    static final int MAX_NAMED = 20;

    private static final Duration MIN_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration MAX_TIMEOUT = Duration.ofDays(7);
    private static final Duration MAX_BACKOFF = Duration.ofDays(1);
    private static final SecureRandom SEEDS = new SecureRandom();

    /** How often {@link #checkInAfter()} counts the live sessions again. */
    static final Duration SESSION_RECOUNT = Duration.ofSeconds(5);
    private static final long NEVER = Long.MIN_VALUE;

    private final Engine engine;
    private final RolloutSettings settings;
    private final SessionStore sessions;
    private final java.util.concurrent.atomic.AtomicLong sessionsCountedAt = new java.util.concurrent.atomic.AtomicLong(NEVER);
    private volatile long liveSessions;
    private final ProgramCatalog catalog;
    private final Entitlements entitlements;

    /**
     * @param validation the server's device certificate validation (the CRL), used to exclude revoked
     *                   devices; null checks only disabled devices and stored expiry dates
     */
    /** {@code sessions}: counted for the check-in pace ({@link #checkInAfter()}). */
    public Rollouts(Database database, Clock clock, RolloutSettings settings, ProgramCatalog catalog,
            Entitlements entitlements, CertificateValidation validation, SessionStore sessions) {
        this.engine = new Engine(database, clock, new Exclusion(validation, clock));
        this.settings = settings;
        this.sessions = sessions;
        this.catalog = catalog;
        this.entitlements = entitlements;
    }

    // ---- creation ------------------------------------------------------------------------------

    /** A validated request: everything creation needs, defaults applied. */
    record Plan(String name, String programId, String version, String mode, String targetKind, TargetFilter filter,
            List<Targets.Target> listed, String retryOf, List<RolloutRequest.GroupSpec> groups, int success,
            String onSuccess, int errorThreshold, String errorKind, int security, long timeoutSeconds, int retries,
            long backoffSeconds, String order, Long seed, Instant startAt, MaintenanceWindow window, boolean dynamic,
            boolean freshKey, boolean start) {

        /** The SQL condition over devices {@code d} for filter, all and retry targets. */
        String where(List<Object> params) {
            if (retryOf != null) {
                params.add(retryOf);
                return "d.device_id IN (SELECT o.device_id FROM rollout_assignments o WHERE o.rollout_id = ? "
                        + "AND o.state IN ('failed', 'timed-out'))";
            }
            return filter == null ? "1 = 1" : filter.where(params);
        }
    }

    /**
     * Creates a rollout. The request is validated completely first (nothing is created on a
     * refusal); then the rollout row is committed as {@code creating}, its groups and assignments
     * are written in batches, and it becomes {@code waiting-for-approval}, {@code ready},
     * {@code running} or {@code scheduled}. If that second step fails, the rollout ends
     * {@code failed} with reason {@code creation-failed} and is returned so.
     *
     * @throws RolloutException for a refused request
     */
    public RolloutView create(RolloutRequest request, String operator) {
        requireOperator(operator);
        if (request == null) {
            throw new RolloutException(ProblemType.MISSING_FIELD, "the rollout request is empty");
        }
        return create(plan(request), operator);
    }

    private RolloutView create(Plan plan, String operator) {
        long n = checkTargets(plan);
        String id = "r-" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
        engine.tx(c -> {
            insertRow(c, id, plan, operator);
            return null;
        });
        try {
            engine.tx(c -> {
                RolloutRow r = engine.lock(c, id);
                new Population(c, r, plan, n).run();
                r = engine.read(c, id);
                if (settings.approval()) {
                    engine.status(c, r, "waiting-for-approval", null, null);
                } else if (plan.start()) {
                    startNow(c, r);
                } else {
                    engine.status(c, r, "ready", null, null);
                }
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warn("Creating rollout {} failed", id, e);
            String detail = "creating the groups and assignments failed: " + rootMessage(e);
            engine.tx(c -> {
                RolloutRow r = engine.lock(c, id);
                engine.status(c, r, "failed", "creation-failed", detail);
                return null;
            });
        }
        return get(id);
    }

    private void insertRow(Connection c, String id, Plan p, String operator) throws SQLException {
        String groupSpec;
        try {
            groupSpec = Json.mapper().writeValueAsString(p.groups());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        Engine.update(c, "INSERT INTO rollouts (rollout_id, name, program_id, version, mode, status, target_kind, "
                + "target_filter, group_spec, target_order, order_seed, success_threshold, on_success, error_threshold, "
                + "error_threshold_kind, security_threshold, device_timeout_seconds, retries, retry_backoff_seconds, "
                + "start_at, window_start, window_end, window_zone, dynamic_targets, fresh_key_per_group, start_requested, "
                + "retry_of, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'creating', ?, ?, ?, ?, ?, ?, ?, ?, "
                + "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                id, p.name(), p.programId(), p.version(), p.mode(), p.targetKind(),
                p.filter() == null ? null : p.filter().text(), groupSpec, p.order(), p.seed(), p.success(),
                p.onSuccess(), p.errorThreshold(), p.errorKind(), p.security(), p.timeoutSeconds(), p.retries(),
                p.backoffSeconds(), Database.timestamp(p.startAt()),
                p.window() == null ? null : p.window().start().toString(),
                p.window() == null ? null : p.window().end().toString(),
                p.window() == null ? null : p.window().zone().getId(), p.dynamic(), p.freshKey(), p.start(),
                p.retryOf(), operator, engine.ts(), engine.ts());
        engine.events.rollout(c, id, null, "creating", null);
    }

    /** Writes the groups and assignments of a new rollout, a page of targets at a time. */
    private final class Population {
        private final Connection c;
        private final RolloutRow r;
        private final Plan plan;
        private final long n;
        private final PositionPermutation permutation;
        private final long[] bounds;
        private final List<TargetFilter> groupFilters = new ArrayList<>();
        private final boolean needTags;
        private long index;

        Population(Connection c, RolloutRow r, Plan plan, long n) {
            this.c = c;
            this.r = r;
            this.plan = plan;
            this.n = n;
            this.permutation = "random".equals(plan.order()) ? new PositionPermutation(n, plan.seed()) : null;
            boolean percent = plan.groups().get(0).percent() != null;
            this.bounds = percent ? new long[plan.groups().size()] : null;
            if (percent) {
                for (int i = 0; i < bounds.length; i++) {
                    bounds[i] = ceilDiv(n * plan.groups().get(i).percent(), 100);
                }
            } else {
                plan.groups().forEach(g -> groupFilters.add(TargetFilter.parse(g.filter())));
            }
            this.needTags = groupFilters.stream().anyMatch(f -> !f.tags().isEmpty());
        }

        void run() throws SQLException {
            if (plan.listed() != null) {
                for (int from = 0; from < plan.listed().size(); from += Engine.PAGE) {
                    List<Targets.Target> slim = plan.listed().subList(from,
                            Math.min(plan.listed().size(), from + Engine.PAGE));
                    Map<String, Targets.Target> full = Targets.find(c,
                            slim.stream().map(Targets.Target::deviceId).toList());
                    // a device that vanished meanwhile is kept, and excluded as not registered
                    insert(slim.stream().map(t -> full.getOrDefault(t.deviceId(), new Targets.Target(t.deviceId(),
                            t.owner(), null, t.registeredAt(), null, null))).toList());
                }
            } else {
                List<Object> params = new ArrayList<>();
                String where = plan.where(params);
                Targets.pages(c, where, params, Engine.PAGE, page -> {
                    insert(page);
                    return index < n;
                });
            }
            groups();
            engine.recount(c, r.id());
            excludedEvents();
        }

        private void insert(List<Targets.Target> page) throws SQLException {
            Map<String, Set<String>> tags = needTags
                    ? Targets.tags(c, page.stream().map(Targets.Target::deviceId).toList()) : Map.of();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO rollout_assignments (rollout_id, device_id, "
                    + "group_no, position, state, reason_code, reason_detail, finished_at, updated_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (Targets.Target t : page) {
                    if (index >= n) {
                        break;
                    }
                    long position = permutation == null ? index : permutation.apply(index);
                    index++;
                    int group = bounds != null ? percentGroup(position) : filterGroup(t, tags);
                    Exclusion.Reason why = engine.exclusion.check(t.deviceId(), t.status(), t.certificatePem(),
                            t.notAfter());
                    ps.setString(1, r.id());
                    ps.setString(2, t.deviceId());
                    ps.setInt(3, group);
                    ps.setLong(4, position);
                    ps.setString(5, why == null ? "scheduled" : "excluded");
                    ps.setString(6, why == null ? null : Database.cut(why.code(), 64));
                    ps.setString(7, why == null ? null : Database.cut(why.detail(), 1000));
                    ps.setObject(8, why == null ? null : engine.ts());
                    ps.setObject(9, engine.ts());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }

        private int percentGroup(long position) {
            for (int i = 0; i < bounds.length; i++) {
                if (position < bounds[i]) {
                    return i + 1;
                }
            }
            return bounds.length;
        }

        private int filterGroup(Targets.Target t, Map<String, Set<String>> tags) {
            Set<String> mine = tags.getOrDefault(t.deviceId(), Set.of());
            for (int i = 0; i < groupFilters.size(); i++) {
                if (groupFilters.get(i).matches(t.deviceId(), t.owner(), mine)) {
                    return i + 1;
                }
            }
            return groupFilters.size() + 1;
        }

        /** Group rows for the non-empty groups, numbered 1.. without gaps. */
        private void groups() throws SQLException {
            Map<Integer, Long> sizes = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT group_no, COUNT(*) FROM rollout_assignments "
                    + "WHERE rollout_id = ? GROUP BY group_no ORDER BY group_no")) {
                ps.setString(1, r.id());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        sizes.put(rs.getInt(1), rs.getLong(2));
                    }
                }
            }
            int number = 0;
            for (int provisional : sizes.keySet()) {
                number++;
                if (number != provisional) {
                    Engine.update(c, "UPDATE rollout_assignments SET group_no = ? WHERE rollout_id = ? AND group_no = ?",
                            number, r.id(), provisional);
                }
                String selector;
                if (bounds != null) {
                    selector = "percent:" + plan.groups().get(provisional - 1).percent();
                } else if (provisional <= groupFilters.size()) {
                    selector = "filter:" + groupFilters.get(provisional - 1).text();
                } else {
                    selector = "rest";
                }
                Engine.update(c, "INSERT INTO rollout_groups (rollout_id, group_no, status, selector, success_threshold, "
                        + "error_threshold, error_threshold_kind) VALUES (?, ?, 'scheduled', ?, ?, ?, ?)",
                        r.id(), number, selector, r.successThreshold(), r.errorThreshold(), r.errorKind());
                engine.events.group(c, r.id(), number, null, "scheduled", null);
            }
        }

        private void excludedEvents() throws SQLException {
            String after = "";
            while (true) {
                List<Object[]> page = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT device_id, group_no, reason_code FROM "
                        + "rollout_assignments WHERE rollout_id = ? AND state = 'excluded' AND device_id > ? "
                        + "ORDER BY device_id FETCH FIRST " + Engine.PAGE + " ROWS ONLY")) {
                    ps.setString(1, r.id());
                    ps.setString(2, after);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            page.add(new Object[] {rs.getString(1), rs.getInt(2), rs.getString(3)});
                        }
                    }
                }
                for (Object[] e : page) {
                    engine.events.assignment(c, r.id(), (Integer) e[1], (String) e[0], null, "excluded", (String) e[2]);
                }
                if (page.size() < Engine.PAGE) {
                    return;
                }
                after = (String) page.get(page.size() - 1)[0];
            }
        }
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Running now, or scheduled when its start-at is still to come. */
    private void startNow(Connection c, RolloutRow r) throws SQLException {
        boolean later = r.startAt() != null && engine.now().isBefore(r.startAt());
        engine.status(c, r, later ? "scheduled" : "running", null, null);
    }

    /**
     * Counts the targets, refusing an empty set and owners not entitled to the program.
     *
     * @return the number of targets
     */
    private long checkTargets(Plan plan) {
        return engine.tx(c -> {
            long n;
            Set<String> notEntitled = new TreeSet<>();
            if (plan.listed() != null) {
                n = plan.listed().size();
                Set<String> owners = new TreeSet<>();
                plan.listed().forEach(t -> owners.add(t.owner()));
                for (String owner : owners) {
                    if (!entitlements.isEntitled(owner, plan.programId())) {
                        notEntitled.add(owner);
                    }
                }
            } else {
                List<Object> params = new ArrayList<>();
                String where = plan.where(params);
                n = Targets.count(c, where, params);
                params.add(plan.programId());
                try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT d.owner_user_id FROM devices d WHERE ("
                        + where + ") AND NOT EXISTS (SELECT 1 FROM entitlements e WHERE e.user_id = d.owner_user_id "
                        + "AND e.program_id = ?) ORDER BY d.owner_user_id FETCH FIRST " + (MAX_NAMED + 1) + " ROWS ONLY")) {
                    for (int i = 0; i < params.size(); i++) {
                        ps.setObject(i + 1, params.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            notEntitled.add(rs.getString(1));
                        }
                    }
                }
            }
            if (n == 0) {
                throw new RolloutException(ProblemType.EMPTY_TARGETS, "the targets select no device"
                        + (plan.filter() != null ? " (filter '" + plan.filter().text() + "')" : ""));
            }
            if (!notEntitled.isEmpty()) {
                throw new RolloutException(ProblemType.NOT_ENTITLED, "program " + plan.programId()
                        + " is not granted to the owner(s) of some targets: " + named(new ArrayList<>(notEntitled)));
            }
            return n;
        });
    }

    // ---- validation ----------------------------------------------------------------------------

    private Plan plan(RolloutRequest q) {
        String name = q.name() == null || q.name().isBlank() ? null : q.name().strip();
        if (name != null && name.length() > 128) {
            throw invalid("name is longer than 128 characters");
        }
        if (q.programId() == null || q.programId().isBlank()) {
            throw new RolloutException(ProblemType.MISSING_FIELD, "programId is required");
        }
        if (q.version() == null || q.version().isBlank()) {
            throw new RolloutException(ProblemType.MISSING_FIELD, "version is required: a rollout delivers one "
                    + "published version");
        }
        ProgramCatalog.ProgramVersion program = catalog.find(q.programId(), q.version())
                .orElseThrow(() -> new RolloutException(ProblemType.UNKNOWN_PROGRAM, "program " + q.programId()
                        + " has no published version " + q.version()));
        String mode;
        if (q.mode() == null || q.mode().isBlank()) {
            mode = program.defaultMode() == null ? EnvelopeMode.WRAPPED.label() : program.defaultMode().label();
        } else {
            try {
                mode = EnvelopeMode.parse(q.mode().strip()).label();
            } catch (RuntimeException e) {
                throw invalid("mode '" + q.mode() + "' is not direct or wrapped");
            }
        }
        RolloutRequest.Targets t = q.targets();
        if (t == null) {
            throw new RolloutException(ProblemType.MISSING_FIELD, "targets are required: devices, filter or all");
        }
        int kinds = (t.devices() != null ? 1 : 0) + (t.filter() != null ? 1 : 0) + (Boolean.TRUE.equals(t.all()) ? 1 : 0);
        if (kinds != 1) {
            throw invalid("targets must be exactly one of: a devices list, a filter, or all");
        }
        String kind;
        TargetFilter filter = null;
        List<Targets.Target> listed = null;
        if (t.devices() != null) {
            kind = "list";
            listed = listed(t.devices());
        } else if (t.filter() != null) {
            kind = "filter";
            filter = parseFilter(t.filter(), "filter");
        } else {
            kind = "all";
        }
        boolean dynamic = Boolean.TRUE.equals(q.dynamic());
        if (dynamic && "list".equals(kind)) {
            throw invalid("dynamic needs a filter or all targets: a devices list never grows");
        }
        return plan(q, name, program.programId(), program.version(), mode, kind, filter, listed, null, dynamic);
    }

    private Plan plan(RolloutRequest q, String name, String programId, String version, String mode, String kind,
            TargetFilter filter, List<Targets.Target> listed, String retryOf, boolean dynamic) {
        List<RolloutRequest.GroupSpec> groups = groups(q.groups());
        int success = range(q.successThreshold(), settings.defaultSuccessThreshold(), 1, 100, "successThreshold");
        String onSuccess = q.onSuccess() == null ? "next" : q.onSuccess().strip();
        if (!onSuccess.equals("next") && !onSuccess.equals("pause")) {
            throw invalid("onSuccess '" + q.onSuccess() + "' is not next or pause");
        }
        String error = q.errorThreshold() == null ? settings.defaultErrorThreshold() : q.errorThreshold().strip();
        String errorKind = error.endsWith("%") ? "percent" : "count";
        int errorThreshold;
        try {
            errorThreshold = Integer.parseInt(errorKind.equals("percent") ? error.substring(0, error.length() - 1) : error);
        } catch (NumberFormatException e) {
            throw invalid("errorThreshold '" + error + "' is not a percentage (10%) or a count (3)");
        }
        if (errorThreshold < 0 || (errorKind.equals("percent") && errorThreshold > 100)) {
            throw invalid("errorThreshold '" + error + "' is out of range: 0% to 100%, or a count of 0 or more");
        }
        int security = range(q.securityThreshold(), settings.defaultSecurityThreshold(), 1, Integer.MAX_VALUE,
                "securityThreshold");
        int retries = range(q.retries(), settings.defaultRetries(), 0, 10, "retries");
        Duration timeout = duration(q.deviceTimeout(), settings.defaultDeviceTimeout(), "deviceTimeout");
        if (timeout.compareTo(MIN_TIMEOUT) < 0 || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw invalid("deviceTimeout " + timeout + " is out of range: PT10S to P7D");
        }
        Duration backoff = duration(q.retryBackoff(), settings.defaultRetryBackoff(), "retryBackoff");
        if (backoff.isNegative() || backoff.isZero() || backoff.compareTo(MAX_BACKOFF) > 0) {
            throw invalid("retryBackoff " + backoff + " is out of range: more than 0, at most P1D");
        }
        String order = q.order() == null ? "registration" : q.order().strip();
        if (!order.equals("registration") && !order.equals("random")) {
            throw invalid("order '" + q.order() + "' is not registration or random");
        }
        Long seed = order.equals("random") ? (q.seed() != null ? q.seed() : SEEDS.nextLong()) : null;
        Instant startAt = null;
        if (q.startAt() != null && !q.startAt().isBlank()) {
            try {
                startAt = Instant.parse(q.startAt().strip());
            } catch (DateTimeParseException e) {
                throw invalid("startAt '" + q.startAt() + "' is not an ISO instant such as 2026-12-24T18:00:00Z");
            }
            if (startAt.isBefore(engine.now().minus(Duration.ofMinutes(1)))) {
                throw invalid("startAt " + startAt + " is in the past");
            }
        }
        MaintenanceWindow window = null;
        if (q.window() != null && !q.window().isBlank()) {
            try {
                window = MaintenanceWindow.parse(q.window(), q.windowZone());
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
        } else if (q.windowZone() != null && !q.windowZone().isBlank()) {
            throw invalid("windowZone needs a window");
        }
        return new Plan(name, programId, version, mode, kind, filter, listed, retryOf, groups, success, onSuccess,
                errorThreshold, errorKind, security, timeout.toSeconds(), retries, backoff.toSeconds(), order, seed,
                startAt, window, dynamic, Boolean.TRUE.equals(q.freshKeyPerGroup()), Boolean.TRUE.equals(q.start()));
    }

    private static List<RolloutRequest.GroupSpec> groups(List<RolloutRequest.GroupSpec> given) {
        if (given == null || given.isEmpty()) {
            return List.of(new RolloutRequest.GroupSpec(100, null));
        }
        if (given.size() > MAX_GROUPS) {
            throw invalid("more than " + MAX_GROUPS + " groups");
        }
        boolean percent = given.get(0) != null && given.get(0).percent() != null;
        List<RolloutRequest.GroupSpec> out = new ArrayList<>();
        int previous = 0;
        for (int i = 0; i < given.size(); i++) {
            RolloutRequest.GroupSpec g = given.get(i);
            if (g == null || (g.percent() == null) == (g.filter() == null)) {
                throw invalid("group " + (i + 1) + " must have either a percent or a filter");
            }
            if (percent != (g.percent() != null)) {
                throw invalid("groups are either all cumulative percentages or all filters, not a mix");
            }
            if (percent) {
                int p = g.percent();
                if (p < 1 || p > 100 || p <= previous) {
                    throw invalid("group percentages must increase strictly from 1 to 100 (cumulative): group "
                            + (i + 1) + " is " + p + "%");
                }
                previous = p;
                out.add(new RolloutRequest.GroupSpec(p, null));
            } else {
                out.add(new RolloutRequest.GroupSpec(null, parseFilter(g.filter(), "group " + (i + 1)).text()));
            }
        }
        if (percent && previous != 100) {
            throw invalid("the last group percentage must be 100 (cumulative), not " + previous);
        }
        return List.copyOf(out);
    }

    /** The listed devices, checked: each unknown, disabled, malformed or repeated entry is named. */
    private List<Targets.Target> listed(List<String> ids) {
        if (ids.size() > MAX_LISTED) {
            throw invalid("the devices list has " + ids.size() + " entries; at most " + MAX_LISTED);
        }
        List<String> bad = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<String> valid = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i) == null ? "" : ids.get(i).strip();
            if (!DeviceId.isValid(id)) {
                bad.add("entry " + (i + 1) + " '" + printable(id) + "' is not a device ID");
            } else if (!seen.add(id)) {
                bad.add("entry " + (i + 1) + " '" + id + "' is listed twice");
            } else {
                valid.add(id);
            }
        }
        List<Targets.Target> found = new ArrayList<>();
        engine.tx(c -> {
            for (int from = 0; from < valid.size(); from += Engine.PAGE) {
                List<String> chunk = valid.subList(from, Math.min(valid.size(), from + Engine.PAGE));
                Map<String, Targets.Target> rows = Targets.find(c, chunk);
                for (String id : chunk) {
                    Targets.Target t = rows.get(id);
                    if (t == null) {
                        bad.add("device '" + id + "' is not registered");
                    } else if (!"active".equals(t.status())) {
                        bad.add("device '" + id + "' is disabled");
                    } else {
                        // without the certificate: the population reads it again a page at a time
                        found.add(new Targets.Target(t.deviceId(), t.owner(), t.status(), t.registeredAt(), null, null));
                    }
                }
            }
            return null;
        });
        if (!bad.isEmpty()) {
            throw new RolloutException(ProblemType.INVALID_TARGETS, "the devices list has " + bad.size()
                    + " bad entr" + (bad.size() == 1 ? "y" : "ies") + ": " + named(bad));
        }
        if (found.isEmpty()) {
            throw new RolloutException(ProblemType.EMPTY_TARGETS, "the devices list is empty");
        }
        found.sort(Targets.REGISTRATION);
        return found;
    }

    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static String named(List<String> items) {
        List<String> shown = items.subList(0, Math.min(MAX_NAMED, items.size()));
        return String.join("; ", shown) + (items.size() > MAX_NAMED ? "; and " + (items.size() - MAX_NAMED) + " more" : "");
    }

    private static TargetFilter parseFilter(String text, String what) {
        try {
            return TargetFilter.parse(text);
        } catch (IllegalArgumentException e) {
            throw invalid(what + ": " + e.getMessage());
        }
    }

    private static int range(Integer value, int fallback, int min, int max, String field) {
        int v = value == null ? fallback : value;
        if (v < min || v > max) {
            throw invalid(field + " " + v + " is out of range: " + min + " to " + (max == Integer.MAX_VALUE ? "any" : max));
        }
        return v;
    }

    private static Duration duration(String text, Duration fallback, String field) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw invalid(field + " '" + text + "': " + e.getMessage());
        }
    }

    private static RolloutException invalid(String message) {
        return new RolloutException(ProblemType.INVALID_FIELD, message);
    }

    private static void requireOperator(String operator) {
        if (operator == null || operator.isBlank()) {
            throw new RolloutException(ProblemType.MISSING_FIELD, "the operator is required");
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    // ---- actions -------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Action {
        void apply(Connection c, RolloutRow r) throws SQLException;
    }

    private RolloutView act(String id, String operator, String action, Set<String> allowed, Action work) {
        requireOperator(operator);
        engine.tx(c -> {
            RolloutRow r = engine.lock(c, id);
            if (r == null) {
                throw new RolloutException(ProblemType.NOT_FOUND, "no rollout " + id);
            }
            if (!allowed.contains(r.status())) {
                throw new RolloutException(ProblemType.INVALID_STATE, "cannot " + action + " rollout " + id
                        + ": it is " + r.status() + (allowed.size() == 1 ? " (only a " + allowed.iterator().next()
                        + " rollout can be)" : ""));
            }
            work.apply(c, r);
            return null;
        });
        return get(id);
    }

    /** waiting-for-approval → ready, or running/scheduled when start was asked; not by the creator. */
    public RolloutView approve(String id, String operator, String remark) {
        return act(id, operator, "approve", Set.of("waiting-for-approval"), (c, r) -> {
            decide(c, r, operator, remark);
            RolloutRow now = engine.read(c, id);
            if (r.startRequested()) {
                startNow(c, now);
            } else {
                engine.status(c, now, "ready", null, null);
            }
        });
    }

    /** waiting-for-approval → stopped, reason {@code denied} with the remark; not by the creator. */
    public RolloutView deny(String id, String operator, String remark) {
        return act(id, operator, "deny", Set.of("waiting-for-approval"), (c, r) -> {
            decide(c, r, operator, remark);
            engine.groups(c, id, "scheduled", "stopped", "denied");
            engine.movedWhere(c, id, "cancelled", "denied", "a.state = 'scheduled'");
            Engine.update(c, "UPDATE rollout_assignments SET state = 'cancelled', reason_code = 'denied', finished_at = ?, "
                    + "updated_at = ? WHERE rollout_id = ? AND state = 'scheduled'", engine.ts(), engine.ts(), id);
            engine.status(c, engine.read(c, id), "stopped", "denied", remark == null ? null : Database.cut(remark, 512));
        });
    }

    private void decide(Connection c, RolloutRow r, String operator, String remark) throws SQLException {
        if (operator.equals(r.createdBy())) {
            throw new RolloutException(ProblemType.SELF_APPROVAL, "rollout " + r.id() + " was created by " + operator
                    + ": another operator must approve or deny it");
        }
        if (remark != null && remark.length() > 512) {
            throw invalid("remark is longer than 512 characters");
        }
        Engine.update(c, "UPDATE rollouts SET decided_by = ?, decided_at = ?, decision_remark = ? WHERE rollout_id = ?",
                operator, engine.ts(), remark, r.id());
    }

    /** ready → running, or scheduled when start-at is still to come. */
    public RolloutView start(String id, String operator) {
        return act(id, operator, "start", Set.of("ready"), this::startNow);
    }

    /** running → paused, with its running groups. */
    public RolloutView pause(String id, String operator) {
        return act(id, operator, "pause", Set.of("running"),
                (c, r) -> engine.pause(c, r, "paused-by-operator", "paused by " + operator));
    }

    /**
     * paused → running: its paused groups run again, the errors so far no longer count toward their
     * error threshold, and the deadlines of the assignments not yet started start again.
     */
    public RolloutView resume(String id, String operator) {
        return act(id, operator, "resume", Set.of("paused"), (c, r) -> {
            Map<Integer, Engine.Counts> counts = engine.countsByGroup(c, id);
            List<Integer> paused = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT group_no FROM rollout_groups WHERE rollout_id = ? AND status = 'paused'")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        paused.add(rs.getInt(1));
                    }
                }
            }
            Instant now = engine.now();
            for (int g : paused) {
                Engine.Counts n = counts.get(g);
                Engine.update(c, "UPDATE rollout_groups SET error_baseline = ? WHERE rollout_id = ? AND group_no = ?",
                        n == null ? 0 : n.errors(), id, g);
                // one still backing off keeps its deadline (its next attempt plus the timeout)
                Engine.update(c, "UPDATE rollout_assignments SET deadline_at = ?, updated_at = ? WHERE rollout_id = ? "
                        + "AND group_no = ? AND state IN ('scheduled', 'offered') "
                        + "AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
                        Database.timestamp(now.plus(r.timeout())), engine.ts(), id, g, Database.timestamp(now));
                engine.group(c, id, g, "paused", "running", "resumed");
            }
            engine.status(c, r, "running", null, null);
        });
    }

    /**
     * Any rollout not yet ended → stopping: what has not started is cancelled, groups stop; it is
     * stopped once no delivery of it is in progress (at once when none is).
     */
    public RolloutView stop(String id, String operator) {
        return act(id, operator, "stop", Set.of("waiting-for-approval", "ready", "scheduled", "running", "paused"),
                (c, r) -> engine.stop(c, r, "stopped-by-operator", "stopped by " + operator, false));
    }

    /** Running or paused: the next scheduled group starts now (window or not: the operator decided). */
    public RolloutView triggerNextGroup(String id, String operator) {
        return act(id, operator, "trigger the next group of", Set.of("running", "paused"), (c, r) -> {
            long next = Engine.count(c, "SELECT MIN(group_no) FROM rollout_groups WHERE rollout_id = ? "
                    + "AND status = 'scheduled'", id);
            if (next == 0) {
                throw new RolloutException(ProblemType.INVALID_STATE, "rollout " + id + " has no group left to start");
            }
            Engine.update(c, "UPDATE rollout_groups SET next_triggered = TRUE WHERE rollout_id = ? AND group_no < ?",
                    id, (int) next);
            engine.startGroup(c, r, (int) next);
            if ("paused".equals(r.status())) {
                engine.group(c, id, (int) next, "running", "paused", r.reasonCode());
            }
        });
    }

    /**
     * A new rollout, with the same settings, of the devices of an ended rollout that failed or
     * timed out; its {@code retryOf} names the old one.
     */
    public RolloutView retry(String id, String operator) {
        requireOperator(operator);
        RolloutRow old = engine.tx(c -> engine.read(c, id));
        if (old == null) {
            throw new RolloutException(ProblemType.NOT_FOUND, "no rollout " + id);
        }
        if (!old.isFinal()) {
            throw new RolloutException(ProblemType.INVALID_STATE, "cannot retry rollout " + id + ": it is "
                    + old.status() + "; only a stopped, finished or failed rollout can be retried");
        }
        long failed = engine.tx(c -> Engine.count(c, "SELECT COUNT(*) FROM rollout_assignments WHERE rollout_id = ? "
                + "AND state IN ('failed', 'timed-out')", id));
        if (failed == 0) {
            throw new RolloutException(ProblemType.EMPTY_TARGETS, "rollout " + id + " has no failed or timed-out device");
        }
        List<RolloutRequest.GroupSpec> groups;
        try {
            groups = Json.mapper().readValue(old.groupSpec(), new TypeReference<List<RolloutRequest.GroupSpec>>() {
            });
        } catch (JsonProcessingException e) {
            throw new StoreException("stored group spec of " + id + " is not valid", e);
        }
        boolean futureStart = old.startAt() != null && old.startAt().isAfter(engine.now());
        RolloutRequest q = new RolloutRequest(old.name(), old.programId(), old.version(), old.mode(), null, groups,
                old.successThreshold(), old.onSuccess(), old.errorThresholdText(), old.securityThreshold(),
                Duration.ofSeconds(old.timeoutSeconds()).toString(), old.retries(),
                Duration.ofSeconds(old.backoffSeconds()).toString(), old.order(), old.seed(),
                futureStart ? old.startAt().toString() : null,
                old.windowStart() == null ? null : old.windowStart() + "-" + old.windowEnd(), old.windowZone(),
                false, old.freshKeyPerGroup(), old.startRequested());
        if (catalog.find(old.programId(), old.version()).isEmpty()) {
            throw new RolloutException(ProblemType.UNKNOWN_PROGRAM, "program " + old.programId()
                    + " has no published version " + old.version() + " any more");
        }
        Plan plan = plan(q, old.name(), old.programId(), old.version(), old.mode(), "list", null, null, id, false);
        return create(plan, operator);
    }

    // ---- views ---------------------------------------------------------------------------------

    /** The rollout's status alone, one row read and no counts; empty for an unknown rollout. */
    public Optional<String> status(String id) {
        return Optional.ofNullable(engine.tx(c -> engine.read(c, id))).map(RolloutRow::status);
    }

    /** @throws RolloutException not-found */
    public RolloutView get(String id) {
        return engine.tx(c -> {
            RolloutRow r = engine.read(c, id);
            if (r == null) {
                throw new RolloutException(ProblemType.NOT_FOUND, "no rollout " + id);
            }
            Map<Integer, Engine.Counts> counts = engine.countsByGroup(c, id);
            Map<String, Long> total = Engine.emptyCounts();
            counts.values().forEach(g -> g.byState().forEach((s, n) -> total.merge(s, n, Long::sum)));
            List<RolloutView.Group> groups = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT group_no, status, selector, success_threshold, "
                    + "error_threshold, error_threshold_kind, started_at, ended_at FROM rollout_groups "
                    + "WHERE rollout_id = ? ORDER BY group_no")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int g = rs.getInt(1);
                        Engine.Counts n = counts.get(g);
                        Map<String, Long> byState = n == null ? Engine.emptyCounts() : n.byState();
                        groups.add(new RolloutView.Group(g, rs.getString(2), rs.getString(3),
                                n == null ? 0 : n.total(), rs.getInt(4),
                                "percent".equals(rs.getString(6)) ? rs.getInt(5) + "%" : Integer.toString(rs.getInt(5)),
                                RolloutRow.instant(rs, 7), RolloutRow.instant(rs, 8), byState));
                    }
                }
            }
            long all = total.values().stream().mapToLong(Long::longValue).sum();
            RolloutView.Settings s = new RolloutView.Settings(r.successThreshold(), r.onSuccess(),
                    r.errorThresholdText(), r.securityThreshold(), Duration.ofSeconds(r.timeoutSeconds()).toString(),
                    r.retries(), Duration.ofSeconds(r.backoffSeconds()).toString(), r.order(), r.seed(), r.startAt(),
                    r.windowStart() == null ? null : r.windowStart() + "-" + r.windowEnd(), r.windowZone(),
                    r.dynamic(), r.freshKeyPerGroup(), r.groupSpec());
            return new RolloutView(r.id(), r.name(), r.programId(), r.version(), r.mode(), r.status(), r.reasonCode(),
                    r.reasonDetail(), r.createdBy(), r.createdAt(), r.decidedBy(), r.decidedAt(), r.decisionRemark(),
                    r.startedAt(), r.endedAt(), r.retryOf(), new RolloutView.Targets(r.targetKind(), r.targetFilter()),
                    s, groups, total, all, r.securityFailures());
        });
    }

    /** Rollouts, newest first, optionally of one status; at most {@code limit} (1..1000). */
    public List<RolloutSummary> list(String status, int limit) {
        int max = Math.max(1, Math.min(1000, limit));
        return engine.tx(c -> {
            List<RolloutRow> rows = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + RolloutRow.COLUMNS + " FROM rollouts"
                    + (status == null ? "" : " WHERE status = ?") + " ORDER BY created_at DESC, rollout_id "
                    + "FETCH FIRST " + max + " ROWS ONLY")) {
                if (status != null) {
                    ps.setString(1, status);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(RolloutRow.read(rs));
                    }
                }
            }
            List<RolloutSummary> out = new ArrayList<>();
            for (RolloutRow r : rows) {
                Map<String, Long> n = Engine.emptyCounts();
                engine.countsByGroup(c, r.id()).values()
                        .forEach(g -> g.byState().forEach((state, k) -> n.merge(state, k, Long::sum)));
                long total = n.values().stream().mapToLong(Long::longValue).sum();
                out.add(new RolloutSummary(r.id(), r.name(), r.programId(), r.version(), r.mode(), r.status(),
                        r.reasonCode(), r.createdBy(), r.createdAt(), r.startedAt(), r.endedAt(), total,
                        n.get("installed"), n.get("failed") + n.get("timed-out"), n.get("excluded")));
            }
            return out;
        });
    }

    /** One page (0-based) of per-device states, optionally of one state; pageSize 1..1000. */
    public DevicePage devices(String id, String state, int page, int pageSize) {
        if (state != null && !Engine.STATES.contains(state)) {
            throw invalid("state '" + state + "' is not one of " + Engine.STATES);
        }
        if (page < 1) {
            throw invalid("page must be 1 or more (pages count from 1)");
        }
        int size = Math.max(1, Math.min(1000, pageSize));
        return engine.tx(c -> {
            if (engine.read(c, id) == null) {
                throw new RolloutException(ProblemType.NOT_FOUND, "no rollout " + id);
            }
            String where = " WHERE rollout_id = ?" + (state == null ? "" : " AND state = ?");
            Object[] params = state == null ? new Object[] {id} : new Object[] {id, state};
            long total = Engine.count(c, "SELECT COUNT(*) FROM rollout_assignments" + where, params);
            List<DevicePage.Device> devices = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT device_id, group_no, state, reason_code, "
                    + "reason_detail, attempts, offered_at, started_at, finished_at, delivery_id FROM rollout_assignments"
                    + where + " ORDER BY group_no, position, device_id OFFSET ? ROWS FETCH NEXT ? ROWS ONLY")) {
                int i = 1;
                for (Object p : params) {
                    ps.setObject(i++, p);
                }
                ps.setLong(i++, (long) (page - 1) * size);
                ps.setInt(i, size);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        devices.add(new DevicePage.Device(rs.getString(1), rs.getInt(2), rs.getString(3),
                                rs.getString(4), rs.getString(5), rs.getInt(6), RolloutRow.instant(rs, 7),
                                RolloutRow.instant(rs, 8), RolloutRow.instant(rs, 9), rs.getString(10)));
                    }
                }
            }
            return new DevicePage(page, size, total, devices);
        });
    }

    // ---- check-in ------------------------------------------------------------------------------

    /**
     * How long a gateway should wait before its next check-in: {@code check-in-after}, or longer
     * when so many sessions are live that they would together check in more than
     * {@code check-in-rate} times a second ({@link #paced}). The live sessions are counted in the
     * database (every instance's), at most once per {@link #SESSION_RECOUNT}; a count that fails
     * keeps the last one.
     */
    public Duration checkInAfter() {
        if (settings.checkInRate() == 0) {
            return settings.checkInAfter();
        }
        long at = sessionsCountedAt.get();
        long now = System.nanoTime();
        if ((at == NEVER || now - at > SESSION_RECOUNT.toNanos()) && sessionsCountedAt.compareAndSet(at, now)) {
            try {
                liveSessions = sessions.countLive();
            } catch (StoreException e) {
                LOG.debug("Cannot count the live sessions for the check-in pace: {}", e.getMessage());
            }
        }
        return paced(settings.checkInAfter(), liveSessions, settings.checkInRate());
    }

    /** {@code base}, or sessions / rate seconds (whole seconds, rounded up) when that is longer. */
    static Duration paced(Duration base, long sessions, int rate) {
        if (rate <= 0 || sessions <= 0) {
            return base;
        }
        Duration spread = Duration.ofSeconds((sessions + rate - 1) / rate);
        return spread.compareTo(base) > 0 ? spread : base;
    }

    /**
     * A gateway checks in for {@code deviceId} in a session of {@code userId}: the offer of an
     * assignment of that device whose group and rollout run, inside the rollout's window, past its
     * back-off; it becomes {@code offered}. A device whose ledger already holds a verified install
     * of the version is counted {@code installed} ({@code already-installed}) instead of offered.
     *
     * @throws RolloutException {@code device-not-owned} (also for an unknown device) or {@code device-disabled}
     */
    public Optional<Offer> checkIn(String userId, String deviceId) {
        if (!DeviceId.isValid(deviceId)) {
            throw new RolloutException(ProblemType.DEVICE_NOT_OWNED, "no device '" + printable(String.valueOf(deviceId))
                    + "' is registered to " + userId);
        }
        return engine.tx(c -> {
            String owner;
            String status;
            try (PreparedStatement ps = c.prepareStatement("SELECT owner_user_id, status FROM devices WHERE device_id = ?")) {
                ps.setString(1, deviceId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        owner = null;
                        status = null;
                    } else {
                        owner = rs.getString(1);
                        status = rs.getString(2);
                    }
                }
            }
            if (owner == null || !owner.equals(userId)) {
                throw new RolloutException(ProblemType.DEVICE_NOT_OWNED, "device " + deviceId + " is not registered to "
                        + userId);
            }
            if (!"active".equals(status)) {
                throw new RolloutException(ProblemType.DEVICE_DISABLED, "device " + deviceId + " is disabled");
            }
            List<RolloutRow> candidates = new ArrayList<>();
            List<Object[]> assignments = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT a.group_no, a.state, r.rollout_id FROM "
                    + "rollout_assignments a JOIN rollouts r ON r.rollout_id = a.rollout_id JOIN rollout_groups g ON "
                    + "g.rollout_id = a.rollout_id AND g.group_no = a.group_no WHERE a.device_id = ? AND a.state IN "
                    + "('scheduled', 'offered') AND g.status = 'running' AND r.status = 'running' AND "
                    + "(a.next_attempt_at IS NULL OR a.next_attempt_at <= ?) ORDER BY r.created_at, r.rollout_id "
                    + "FETCH FIRST 20 ROWS ONLY")) {
                ps.setString(1, deviceId);
                ps.setObject(2, engine.ts());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        assignments.add(new Object[] {rs.getInt(1), rs.getString(2), rs.getString(3)});
                    }
                }
            }
            for (Object[] a : assignments) {
                candidates.add(engine.read(c, (String) a[2]));
            }
            for (int i = 0; i < candidates.size(); i++) {
                RolloutRow r = candidates.get(i);
                int group = (Integer) assignments.get(i)[0];
                String state = (String) assignments.get(i)[1];
                if (r == null || !MaintenanceWindow.isOpen(r.window(), engine.now())) {
                    continue;
                }
                // one indexed lookup first: the settling update and its events only for a device that holds it
                boolean holds = engine.holdsVerifiedInstall(c, deviceId, r);
                if (holds || state.equals("scheduled")) {
                    // a state change: under the rollout's row lock, like every other (the lock order
                    // of Engine: rollout, then groups and assignments), and only while it still runs
                    RolloutRow locked = engine.lock(c, r.id());
                    if (locked == null || !locked.status().equals("running")) {
                        continue;
                    }
                }
                if (holds && engine.alreadyInstalled(c, r, "a.device_id = ? AND a.state IN ('scheduled', 'offered')",
                        deviceId) > 0) {
                    continue;
                }
                if (state.equals("scheduled")) {
                    int n = Engine.update(c, "UPDATE rollout_assignments SET state = 'offered', offered_at = ?, "
                            + "updated_at = ? WHERE rollout_id = ? AND device_id = ? AND state = 'scheduled'",
                            engine.ts(), engine.ts(), r.id(), deviceId);
                    if (n != 1) {
                        continue;
                    }
                    engine.moved(c, r.id(), group, deviceId, "scheduled", "offered", null, false);
                }
                return Optional.of(new Offer(r.id(), r.programId(), r.version(), r.mode()));
            }
            return Optional.<Offer>empty();
        });
    }
}
