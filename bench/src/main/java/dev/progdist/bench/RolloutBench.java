package dev.progdist.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.cli.ProgdistCli;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.fleet.FleetDevices;
import dev.progdist.fleet.FleetProvisioning;
import dev.progdist.fleet.ProgressLine;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.gateway.FirstPathException;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.wire.SessionResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./progdist bench rollout}: one program rolled out to N fleet devices, with the server and
 * the fleet in separate JVMs on this machine (spawned as {@code ./progdist demo} spawns them), then
 * the crypto-only work of one such delivery measured in this JVM in the same run, and the ratio of
 * the two rates. Every figure on its own line.
 */
public final class RolloutBench {

    /** What to run. */
    public record Options(Home home, boolean reuseHome, String prefix, int devices, long size, EnvelopeMode mode,
            List<Integer> groups, int warmup, int warmupRounds, Argon2Cost cost, Duration checkIn,
            Optional<Integer> checkInRate, int workers, int logins,
            int serverHeapMiB, int fleetHeapMiB, long schedulerPeriodMillis, Duration loginTimeout,
            Duration rolloutTimeout, int cryptoIterations) {
    }

    static final String OPERATOR = "ops";
    /** The default warm-up rollout reaches every device, up to this many. */
    static final int DEFAULT_MAX_WARMUP = 1000;
    static final String FLEET_USER = "fleet";
    static final Set<String> ENDED = Set.of("finished", "stopped", "failed", "paused");
    /** {@code HH:MM:SS 1000 devices: 998 logged in, …} as {@code fleet run} prints it. */
    static final Pattern FLEET_STATUS = Pattern.compile("(\\d+) devices: (\\d+) logged in");
    /** The end of that line: {@code (7543 check-ins)}, answered since the fleet started. */
    static final Pattern FLEET_CHECK_INS = Pattern.compile("\\((\\d+) check-ins\\)");
    /** How long the fleet's idle check-ins are measured before the rollout (no rollout running). */
    static final Duration IDLE = Duration.ofSeconds(10);
    /** Readings of the crypto-only bound on all cores; their median is the ratio's denominator. */
    static final int BOUND_READINGS = 3;
    /**
     * After the warm-up both JVMs' compilers still work through the methods it made hot (measured:
     * 0.65 of a core in the server, 0.23 in the fleet, for many seconds): the measured rollout
     * starts once they have been quiet for {@link #SETTLE_STEP} (below {@link #SETTLE_QUIET} of one
     * core each), or after {@link #SETTLE_MAX}.
     */
    static final Duration SETTLE_STEP = Duration.ofSeconds(2);
    static final double SETTLE_QUIET = 0.05;
    static final Duration SETTLE_MAX = Duration.ofSeconds(120);
    static final long POLL_MILLIS = 250;
    /**
     * How often a running rollout is read: each read costs the server a count over the rollout's
     * assignments, so not too often; the end is taken from the devices' finishedAt, not from the poll.
     */
    static final long ROLLOUT_POLL_MILLIS = 1000;
    static final int MAX_NAMED_FAILURES = 50;

    private final Options o;
    private final BenchOutput out;
    private final List<Process> children = new ArrayList<>();
    private final AtomicInteger fleetLoggedIn = new AtomicInteger(-1);
    private final java.util.concurrent.atomic.AtomicLong fleetCheckIns = new java.util.concurrent.atomic.AtomicLong();
    private final List<String> failures = new ArrayList<>();
    private Path logs;

    public RolloutBench(Options options, BenchOutput out) {
        this.o = options;
        this.out = out;
    }

    /** Runs everything; returns the failures (empty when every device was installed). */
    public List<String> run() throws Exception {
        Home home = o.home();
        Runtime rt = Runtime.getRuntime();
        int cores = rt.availableProcessors();
        long runStart = System.nanoTime();
        out.title("progdist bench rollout, " + Instant.now().truncatedTo(ChronoUnit.SECONDS));
        out.line("machine", cores + " CPUs, " + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        out.line("system load average (1 min) at start", BenchOutput.load());
        out.line("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        out.line("bench home", home.root() + (o.reuseHome() ? " (kept: PKI and TRPs reused, database wiped)"
                : " (wiped)"));
        out.line("rollout", o.devices() + " devices " + o.prefix() + "-*, program of " + BenchFiles.size(o.size())
                + " (pseudo-random), mode " + o.mode().label() + ", groups " + o.groups());
        out.line("Argon2id cost (server and users)", o.cost());
        out.line("check-in", "every " + o.checkIn() + " per device at least; the server's pace "
                + o.checkInRate().map(r -> r + "/s (--check-in-rate)").orElse("at its built-in default")
                + (o.warmup() > 0 ? "; warm-up " + o.warmupRounds() + " round(s) of " + Math.min(o.warmup(), o.devices())
                        + " devices" : "; no warm-up"));
        out.line("processes", "server (-Xmx" + o.serverHeapMiB() + "m) and fleet (-Xmx" + o.fleetHeapMiB()
                + "m, " + o.workers() + " workers) as child JVMs; this JVM only creates and follows the rollout");

        out.section("setup (not timed)");
        logs = Files.createDirectories(home.root().resolve("logs"));
        long t = System.nanoTime();
        if (!DevelopmentPki.exists(home)) {
            DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        }
        char[] operatorSecret = randomSecret();
        char[] fleetSecret = randomSecret();
        try (Database db = Database.openHome(home, 2)) {
            UserDirectory users = new UserDirectory(db, o.cost().hasher(), Clock.systemUTC());
            users.addUser(OPERATOR, operatorSecret, Role.OPERATOR, true);
            users.addUser(FLEET_USER, fleetSecret, Role.USER, true);
            DeviceRegistry registry = new DeviceRegistry(db, Clock.systemUTC());
            ProgressLine progress = ProgressLine.onStdout("  provisioning " + o.prefix(), o.devices());
            FleetProvisioning.Result r = FleetProvisioning.provision(home, o.prefix(), o.devices(),
                    FleetProvisioning.KeyChoice.EC, FLEET_USER,
                    (device, owner, cert) -> registry.register(device, owner, "bench", cert), progress::update);
            out.line("PKI, users, fleet", "development PKI; users " + OPERATOR + " (operator) and " + FLEET_USER
                    + "; " + o.devices() + " TRPs (EC P-256; " + r.manufactured() + " manufactured now, "
                    + r.alreadyManufactured() + " kept) registered to " + FLEET_USER + " in "
                    + BenchOutput.seconds(System.nanoTime() - t));
        }
        Path program = BenchFiles.random(home.root().resolve("rollout-program.bin"), o.size());
        String programId = "rollout-" + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                .withZone(java.time.ZoneOffset.UTC).format(Instant.now());

        int port = BenchSystem.freePort();
        String server = "https://localhost:" + port;
        Thread hook = new Thread(this::stopChildren, "progdist-bench-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        Process serverProcess;
        Process fleetProcess;
        RolloutRun measured;
        Idle idle;
        try {
            t = System.nanoTime();
            serverProcess = spawn("server", serverEnvironment(), o.serverHeapMiB(), false, "server", "--port",
                    String.valueOf(port));
            FirstPathClient client = new FirstPathClient(URI.create(server), home.pkiDir().resolve("distribution-ca.crt"),
                    Duration.ofSeconds(60));
            SessionResponse ops = awaitLogin(client, operatorSecret, o.loginTimeout());
            out.line("server", server + ", pid " + serverProcess.pid() + ", up in "
                    + BenchOutput.seconds(System.nanoTime() - t));
            try {
                String version = "1.0";
                List<String> warmupVersions = new ArrayList<>();
                for (int round = 1; o.warmup() > 0 && round <= o.warmupRounds(); round++) {
                    warmupVersions.add("0." + round);
                }
                for (String v : warmupVersions) {
                    publish(client, ops, home, program, programId, v);
                }
                publish(client, ops, home, program, programId, version);
                client.postJson(ops, "/api/v1/programs/" + programId + "/grants", Map.of("userId", FLEET_USER));
                out.line("program", programId + " " + version + (warmupVersions.isEmpty() ? "" : " (and "
                        + String.join(", ", warmupVersions) + " for the warm-up)") + " published (publisher-signed) and granted to " + FLEET_USER);

                t = System.nanoTime();
                fleetProcess = spawn("fleet", Map.of("PROGDIST_PASSWORD", new String(fleetSecret)),
                        o.fleetHeapMiB(), true, "fleet", "run", "--prefix", o.prefix(), "--devices",
                        String.valueOf(o.devices()), "--user", FLEET_USER, "--server", server, "--check-in",
                        o.checkIn().toMillis() + "ms", "--workers", String.valueOf(o.workers()), "--logins",
                        String.valueOf(o.logins()), "--status-every", "1s");
                awaitFleetLoggedIn();
                out.line("fleet", "pid " + fleetProcess.pid() + ": all " + o.devices() + " devices logged in (a"
                        + " session each, Argon2id verify on the server) in " + BenchOutput.seconds(
                        System.nanoTime() - t));

                for (String warmupVersion : warmupVersions) {
                    List<String> first = FleetDevices.ids(o.prefix(), o.devices()).subList(0,
                            Math.min(o.warmup(), o.devices()));
                    RolloutRun w = rollout(client, ops, programId, warmupVersion, Map.of("devices", first),
                            List.of(100), "warm-up " + warmupVersion, serverProcess, fleetProcess);
                    out.line("warm-up rollout " + warmupVersion + " (not counted)", first.size() + " devices, "
                            + w.status() + ", " + BenchOutput.seconds(w.nanos()) + "; server + fleet CPU "
                            + BenchOutput.ms(RolloutFigures.cpuMillisPerDevice(w.serverCpu().plus(w.fleetCpu()), first.size()))
                            + " per device, of it the JIT compilers " + share(w.serverJit(), w.serverCpu()) + " / "
                            + share(w.fleetJit(), w.fleetCpu()));
                    if (!"finished".equals(w.status())) {
                        failures.add("the warm-up rollout ended " + w.status() + ": " + w.detail());
                        return failures;
                    }
                }

                if (o.warmup() > 0) {
                    out.line("compilers after the warm-up", settle(serverProcess, fleetProcess));
                }
                idle = idle(serverProcess, fleetProcess);
                out.line("idle, no rollout running (" + IDLE.toSeconds() + " s)", idle.describe());

                out.section("rollout: " + o.devices() + " devices, clock from creation to finished");
                out.line("system load average (1 min) before", BenchOutput.load());
                measured = rollout(client, ops, programId, version, Map.of("filter", "device=" + o.prefix() + "-*"),
                        o.groups(), "measured", serverProcess, fleetProcess);
                out.line("system load average (1 min) after", BenchOutput.load());
            } finally {
                try {
                    client.logout(ops);
                } catch (RuntimeException ignored) {
                    // the server may be gone already; its failure is reported elsewhere
                }
            }
        } finally {
            stopChildren();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // interrupted (Ctrl-C): the hook has stopped the children
            }
            java.util.Arrays.fill(operatorSecret, '\0');
            java.util.Arrays.fill(fleetSecret, '\0');
        }

        List<RolloutFigures.DeviceRow> rows = measured.rows();
        long installed = rows.stream().filter(RolloutFigures.DeviceRow::installed).count();
        double rate = RolloutFigures.perSecond(installed, measured.nanos());
        Samples delivery = RolloutFigures.durations(rows, false);
        Samples offered = RolloutFigures.durations(rows, true);
        double serverCpu = RolloutFigures.cpuMillisPerDevice(measured.serverCpu(), installed);
        double fleetCpu = RolloutFigures.cpuMillisPerDevice(measured.fleetCpu(), installed);
        out.line("rollout status", measured.status() + ": " + measured.detail());
        out.line("installed", installed + " of " + o.devices());
        out.line("wall time (creation → finished)", BenchOutput.seconds(measured.nanos()) + " (to the last device's"
                + " finishedAt; CPU is read at the poll that saw the end, at most 1 s later)");
        out.line("creation → first delivery started", (measured.firstStartNanos() < 0 ? "none started"
                : BenchOutput.seconds(measured.firstStartNanos())) + " (of which the create request " + BenchOutput.ms(measured.createNanos() / 1e6)
                + ": targets selected, certificates checked, groups made)");
        out.line("devices/s", rate(rate));
        out.line("server CPU per device", BenchOutput.ms(serverCpu) + " (" + measured.serverCpu().toMillis()
                + " ms of CPU over the rollout, /proc utime+stime)");
        out.line("fleet CPU per device", BenchOutput.ms(fleetCpu) + " (" + measured.fleetCpu().toMillis()
                + " ms; gateways and TRPs: second path, opening, install, receipt)");
        out.line("server + fleet CPU per device", BenchOutput.ms(serverCpu + fleetCpu));
        out.line("of it, the JIT compilers", share(measured.serverJit(), measured.serverCpu()) + " of the server's, "
                + share(measured.fleetJit(), measured.fleetCpu()) + " of the fleet's (C1/C2 threads; high means the"
                + " warm-up was too short)");
        double idleShare = idle.cpuMillisPerSecond() * measured.nanos() / 1e9 / Math.max(1, installed);
        out.line("check-ins answered during the rollout", measured.checkIns() + String.format(Locale.ROOT,
                " (%.1f per device installed; from the fleet's status lines, 1 s apart)",
                measured.checkIns() / (double) Math.max(1, installed)));
        out.line("of it, what the idle fleet costs", BenchOutput.ms(idleShare) + " (the idle rate above over the"
                + " rollout's wall time, per device: check-ins and timers that run with or without a rollout)");
        out.line("CPU busy over the rollout", String.format(Locale.ROOT, "%.2f of %d cores (server + fleet)",
                (measured.serverCpu().toNanos() + measured.fleetCpu().toNanos()) / (double) measured.nanos(), cores));
        out.line("per device, startedAt → finishedAt, p50 / p99", BenchOutput.ms(delivery.percentileMillis(50))
                + " / " + BenchOutput.ms(delivery.percentileMillis(99)) + " (max "
                + BenchOutput.ms(delivery.maxMillis()) + "; the delivery: second path to receipt)");
        out.line("per device, offeredAt → finishedAt, p50 / p99", BenchOutput.ms(offered.percentileMillis(50))
                + " / " + BenchOutput.ms(offered.percentileMillis(99)) + " (max " + BenchOutput.ms(offered.maxMillis())
                + "; adds the wait for a fleet worker)");

        out.section("crypto-only: one delivery's crypto, both ends, in this JVM (server and fleet stopped)");
        String trp = FleetDevices.ids(o.prefix(), 1).get(0);
        RolloutCrypto crypto = new RolloutCrypto(home, trp, o.mode(), program, home.root().resolve("crypto"));
        RolloutCrypto.Result c = crypto.run(o.cryptoIterations(), o.cryptoIterations());
        double cryptoMs = c.perDeviceMillis(o.devices());
        out.line("iterations", c.total().count() + " (TRP " + trp
                + ", EC P-256; warm-up not counted); times are this thread's CPU time");
        out.line("TLS 1.3 handshake, both ends (+ Hello/HelloAck/Close)", mean(c.tls()));
        out.line("key wrap (" + o.mode().label() + " sealer's wrapKey)", mean(c.wrap()));
        out.line(o.mode() == EnvelopeMode.WRAPPED ? "envelope written (header + shared ciphertext copied)"
                : "envelope written (program encrypted for the device)", mean(c.envelope()));
        out.line("TRP opens the envelope (+ SHA-256 of program and envelope)", mean(c.open()));
        out.line("TRP checks the publisher certificate and signature", mean(c.publisher()));
        out.line("TRP signs the receipt", mean(c.sign()));
        out.line("server checks the receipt", mean(c.verify()));
        if (o.mode() == EnvelopeMode.WRAPPED) {
            out.line("release encrypted once (SealedRelease.encrypt)", BenchOutput.ms(c.encryptOnceNanos() / 1e6)
                    + ", amortised over " + o.devices() + " devices: " + BenchOutput.ms(c.encryptOnceNanos() / 1e6
                    / o.devices()));
        }
        CryptoBound.KeyUnwrap unwrap = new CryptoBound(home, trp, BenchSystem.USER, null, null, null).keyUnwrap(20);
        out.line("not in it: the emulator's PKCS#12 unseal", BenchOutput.ms(unwrap.trp().meanMillis())
                + " wall mean (PBKDF2; each fleet TRP runs it when it starts, with the store's load, and keeps"
                + " the key, as a chip does)");
        out.line("crypto CPU per device", BenchOutput.ms(cryptoMs) + " (wall time of the same loop: "
                + BenchOutput.ms(c.wall().meanMillis()) + " mean, the difference is other processes' turns)");
        out.line("crypto-only devices/s on one core", rate(1000.0 / cryptoMs) + " (1000 / crypto CPU ms per device)");
        out.line("crypto-only devices/s, one core's rate x " + cores, rate(RolloutFigures.cryptoBound(cryptoMs, cores))
                + " (if the cores scaled perfectly)");
        // one wall-time reading of the bound moved by a quarter between runs on the same code: the
        // median of several decides the ratio, and the spread is printed beside it
        double[] readings = new double[BOUND_READINGS];
        for (int i = 0; i < readings.length; i++) {
            readings[i] = crypto.runOnAllCores(cores, o.cryptoIterations());
        }
        BenchFiles.deleteQuietly(program);
        double allCores = RolloutFigures.median(readings);
        out.line("crypto-only devices/s on all " + cores + " cores, measured", rate(allCores) + " (median of "
                + readings.length + " readings: " + Arrays.stream(readings).mapToObj(RolloutBench::rate)
                        .collect(Collectors.joining(", ")) + "; " + cores + " threads at once, "
                + o.cryptoIterations() + " deliveries each after as many warm-up ones; wall time)");

        out.section("ratios");
        double ratio = rate / allCores;
        out.line("rollout / crypto-only on all cores", String.format(Locale.ROOT, "%.3f (%.1f / %.1f devices/s;"
                + " goal >= 0.5 at 1,000 devices: %s)", ratio, rate, allCores, ratio >= 0.5 ? "met" : "NOT met"));
        out.line("rollout / (one core's crypto-only rate x " + cores + ")", String.format(Locale.ROOT, "%.3f",
                RolloutFigures.ratio(rate, cryptoMs, cores)));
        out.line("rollout / crypto-only on one core", String.format(Locale.ROOT, "%.3f", rate / (1000.0 / cryptoMs)));
        double cpuRatio = cryptoMs / (serverCpu + fleetCpu);
        out.line("crypto CPU / rollout CPU per device", String.format(Locale.ROOT, "%.3f (%.2f of %.2f ms; the ratio"
                + " the rollout would reach with every core to itself)", cpuRatio, cryptoMs, serverCpu + fleetCpu));

        out.section("result");
        out.line("total run time", BenchOutput.seconds(System.nanoTime() - runStart));
        out.line("system load average (1 min) at end", BenchOutput.load());
        List<String> notInstalled = RolloutFigures.notInstalled(rows);
        if (!"finished".equals(measured.status()) || installed < o.devices()) {
            failures.add("the rollout ended " + measured.status() + " with " + installed + " of " + o.devices()
                    + " devices installed (" + measured.detail() + ")");
            for (String d : notInstalled.subList(0, Math.min(MAX_NAMED_FAILURES, notInstalled.size()))) {
                failures.add("not installed: " + d);
            }
            if (notInstalled.size() > MAX_NAMED_FAILURES) {
                failures.add("… and " + (notInstalled.size() - MAX_NAMED_FAILURES) + " more not installed");
            }
        }
        for (String f : failures) {
            out.line("FAILED", f);
        }
        if (failures.isEmpty()) {
            out.line("status", "all " + o.devices() + " devices installed, each on a receipt the server verified");
        }
        return failures;
    }

    /**
     * What the fleet costs while no rollout runs: its devices' check-ins (each answered "nothing")
     * and both processes' timers.
     */
    record Idle(long nanos, long checkIns, Duration serverCpu, Duration fleetCpu) {

        double cpuMillisPerSecond() {
            return (serverCpu.toNanos() + fleetCpu.toNanos()) / 1e6 / (nanos / 1e9);
        }

        String describe() {
            double seconds = nanos / 1e9;
            return String.format(Locale.ROOT, "%.1f check-ins/s; CPU server %.1f + fleet %.1f ms/s (%.2f cores)%s",
                    checkIns / seconds, serverCpu.toNanos() / 1e6 / seconds, fleetCpu.toNanos() / 1e6 / seconds,
                    cpuMillisPerSecond() / 1000, checkIns == 0 ? "" : String.format(Locale.ROOT,
                            "; %.2f ms server + fleet per check-in", cpuMillisPerSecond() * seconds / checkIns));
        }
    }

    /** Waits until both children's JIT compilers are quiet; says how long that took. */
    private String settle(Process server, Process fleet) {
        long t0 = System.nanoTime();
        Optional<Duration> s0 = CompilerCpu.of(server.pid());
        Optional<Duration> f0 = CompilerCpu.of(fleet.pid());
        if (s0.isEmpty() || f0.isEmpty()) {
            return "not followed (no /proc): the measured rollout starts now";
        }
        long quietNanos = (long) (SETTLE_STEP.toNanos() * SETTLE_QUIET);
        while (true) {
            long stepStart = System.nanoTime();
            for (long left = SETTLE_STEP.toNanos(); left > 0; left = stepStart + SETTLE_STEP.toNanos() - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
            checkChildren();
            Duration s1 = CompilerCpu.of(server.pid()).orElse(s0.get());
            Duration f1 = CompilerCpu.of(fleet.pid()).orElse(f0.get());
            long ds = s1.minus(s0.get()).toNanos();
            long df = f1.minus(f0.get()).toNanos();
            String last = String.format(Locale.ROOT, "server %.0f, fleet %.0f ms of compiling in the last %d s",
                    ds / 1e6, df / 1e6, SETTLE_STEP.toSeconds());
            long waited = System.nanoTime() - t0;
            if (ds <= quietNanos && df <= quietNanos) {
                return "quiet after " + BenchOutput.seconds(waited) + " (" + last + ")";
            }
            if (waited >= SETTLE_MAX.toNanos()) {
                return "still compiling after " + BenchOutput.seconds(waited) + " (" + last + "): the measured"
                        + " rollout starts now";
            }
            s0 = Optional.of(s1);
            f0 = Optional.of(f1);
        }
    }

    /** Measures {@link Idle} over {@link #IDLE}, counting the check-ins from the fleet's status lines (1 s apart). */
    private Idle idle(Process server, Process fleet) {
        Duration serverCpu0 = cpu(server);
        Duration fleetCpu0 = cpu(fleet);
        long checkIns0 = fleetCheckIns.get();
        long t0 = System.nanoTime();
        for (long left = IDLE.toNanos(); left > 0; left = t0 + IDLE.toNanos() - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
        checkChildren();
        return new Idle(System.nanoTime() - t0, fleetCheckIns.get() - checkIns0, cpu(server).minus(serverCpu0),
                cpu(fleet).minus(fleetCpu0));
    }

    /** What one followed rollout gave: its end, wall time, both processes' CPU over it, its devices. */
    /**
     * @param createNanos      how long the create request took (targets selected and checked, groups made)
     * @param firstStartNanos  creation to the first device's startedAt, or -1 if none started
     */
    record RolloutRun(String id, String status, String detail, long nanos, long createNanos, long firstStartNanos,
            Duration serverCpu, Duration fleetCpu, Optional<Duration> serverJit, Optional<Duration> fleetJit,
            long checkIns, List<RolloutFigures.DeviceRow> rows) {
    }

    /** Creates a started rollout and follows it until it ends (or the timeout), with a progress line. */
    private RolloutRun rollout(FirstPathClient client, SessionResponse ops, String programId, String version,
            Map<String, Object> targets, List<Integer> groups, String label, Process server, Process fleet) {
        int size = targets.containsKey("devices") ? ((List<?>) targets.get("devices")).size() : o.devices();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", "bench " + label + ": " + programId + " " + version);
        body.put("programId", programId);
        body.put("version", version);
        body.put("mode", o.mode().label());
        body.put("targets", targets);
        body.put("groups", groups.stream().map(p -> Map.of("percent", p)).toList());
        body.put("deviceTimeout", o.rolloutTimeout().toString());
        body.put("start", true);
        Duration serverCpu0 = cpu(server);
        Duration fleetCpu0 = cpu(fleet);
        Optional<Duration> serverJit0 = CompilerCpu.of(server.pid());
        Optional<Duration> fleetJit0 = CompilerCpu.of(fleet.pid());
        long checkIns0 = fleetCheckIns.get();
        Instant created = Instant.now();
        long t0 = System.nanoTime();
        JsonNode r = client.postJson(ops, "/api/v1/rollouts", body);
        long createNanos = System.nanoTime() - t0;
        String id = r.path("id").asText();
        ProgressLine progress = ProgressLine.onStdout("  " + label + " rollout " + id, size);
        long deadline = t0 + o.rolloutTimeout().toNanos();
        while (!ENDED.contains(r.path("status").asText())) {
            checkChildren();
            if (System.nanoTime() > deadline) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ROLLOUT_POLL_MILLIS));
            r = client.getJson(ops, "/api/v1/rollouts/" + id);
            progress.update((int) Math.min(size, done(r.path("counts"))));
        }
        long polled = System.nanoTime() - t0;
        Duration serverCpu = cpu(server).minus(serverCpu0);
        Duration fleetCpu = cpu(fleet).minus(fleetCpu0);
        Optional<Duration> serverJit = CompilerCpu.of(server.pid()).flatMap(j -> serverJit0.map(j::minus));
        Optional<Duration> fleetJit = CompilerCpu.of(fleet.pid()).flatMap(j -> fleetJit0.map(j::minus));
        long checkIns = fleetCheckIns.get() - checkIns0;
        String status = r.path("status").asText();
        if (!ENDED.contains(status)) {
            status = "not ended within " + o.rolloutTimeout() + " (" + status + ")";
        }
        String detail = counts(r.path("counts")) + (r.path("reason").isTextual() ? ", reason "
                + r.path("reason").asText() : "");
        List<RolloutFigures.DeviceRow> rows = devicePages(client, ops, id);
        // creation (this JVM's clock) to the last device's finishedAt (the server's: the same machine)
        long nanos = RolloutFigures.lastFinished(rows).map(last -> Duration.between(created, last).toNanos())
                .filter(n -> n > 0 && n <= polled).orElse(polled);
        long firstStartNanos = RolloutFigures.firstStarted(rows).map(first -> Duration.between(created, first).toNanos())
                .orElse(-1L);
        return new RolloutRun(id, status, detail, nanos, createNanos, firstStartNanos, serverCpu, fleetCpu, serverJit,
                fleetJit, checkIns, rows);
    }

    private static List<RolloutFigures.DeviceRow> devicePages(FirstPathClient client, SessionResponse ops, String id) {
        List<RolloutFigures.DeviceRow> rows = new ArrayList<>();
        for (int page = 1; ; page++) {
            JsonNode p = client.getJson(ops, "/api/v1/rollouts/" + id + "/devices?page=" + page + "&pageSize=1000");
            List<RolloutFigures.DeviceRow> more = RolloutFigures.rows(p);
            rows.addAll(more);
            if (more.isEmpty() || rows.size() >= p.path("total").asLong()) {
                return rows;
            }
        }
    }

    static long done(JsonNode counts) {
        long n = 0;
        for (String s : List.of("installed", "failed", "timed-out", "excluded", "cancelled")) {
            n += counts.path(s).asLong(0);
        }
        return n;
    }

    static String counts(JsonNode counts) {
        StringBuilder b = new StringBuilder();
        counts.fields().forEachRemaining(e -> {
            if (e.getValue().asLong() != 0) {
                b.append(b.length() == 0 ? "" : ", ").append(e.getValue().asLong()).append(' ').append(e.getKey());
            }
        });
        return b.length() == 0 ? "no devices" : b.toString();
    }

    private static String share(Optional<Duration> part, Duration whole) {
        return part.filter(p -> !whole.isZero())
                .map(p -> String.format(Locale.ROOT, "%.1f %%", 100.0 * p.toNanos() / whole.toNanos())).orElse("n/a");
    }

    private static Duration cpu(Process p) {
        return p.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
    }

    private Map<String, String> serverEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        // room for the fleet's sessions (one per device) and second paths (one per fleet worker)
        env.put("PROGDIST_AUTH_MAX_SESSIONS_PER_USER", String.valueOf(o.devices() + 5));
        env.put("PROGDIST_CHANNEL_MAX_PER_USER", String.valueOf(o.workers() + 5));
        env.put("PROGDIST_ROLLOUT_SCHEDULER_PERIOD", String.valueOf(o.schedulerPeriodMillis()));
        env.put("PROGDIST_ROLLOUT_CHECK_IN_AFTER", o.checkIn().toString());
        o.checkInRate().ifPresent(r -> env.put("PROGDIST_ROLLOUT_CHECK_IN_RATE", String.valueOf(r)));
        for (Map.Entry<String, String> e : o.cost().settings().entrySet()) {
            env.put(e.getKey().toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'), e.getValue());
        }
        return env;
    }

    /**
     * Starts {@code ./progdist ARGS} as a child JVM on this JVM's class path, in the bench home with
     * built-in settings only; its output goes to {@code logs/NAME.log} (and, for the fleet, through
     * this JVM, which reads its status lines).
     */
    private Process spawn(String name, Map<String, String> environment, int heapMiB, boolean readStatus,
            String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx" + heapMiB + "m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        String log4j = System.getProperty("log4j2.configurationFile");
        if (log4j != null) {
            command.add("-Dlog4j2.configurationFile=" + log4j);
        }
        command.add("-Dprogdist.config.dir=" + System.getProperty("progdist.config.dir"));
        command.add(ProgdistCli.class.getName());
        command.addAll(List.of(args));
        Path log = logs.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (!readStatus) {
            pb.redirectOutput(log.toFile());
        }
        // nothing of the caller's environment may redirect the bench (database, broker, ports, secrets)
        pb.environment().keySet().removeIf(k -> k.startsWith("PROGDIST_"));
        pb.environment().put(Home.ENV, o.home().root().toString());
        pb.environment().putAll(environment);
        Process p = pb.start();
        children.add(p);
        if (readStatus) {
            Thread reader = new Thread(() -> copyFleetOutput(p, log), "progdist-bench-" + name + "-output");
            reader.setDaemon(true);
            reader.start();
        }
        out.line("", "started " + name + " as process " + p.pid() + " (log " + log + ")");
        return p;
    }

    private void copyFleetOutput(Process p, Path log) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                PrintWriter w = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
            String line;
            while ((line = in.readLine()) != null) {
                w.println(line);
                Matcher m = FLEET_STATUS.matcher(line);
                if (m.find()) {
                    fleetLoggedIn.set(Integer.parseInt(m.group(2)));
                    Matcher c = FLEET_CHECK_INS.matcher(line);
                    if (c.find()) {
                        fleetCheckIns.set(Long.parseLong(c.group(1)));
                    }
                }
            }
        } catch (IOException e) {
            // the fleet stopped; checkChildren reports it
        }
    }

    private void awaitFleetLoggedIn() {
        ProgressLine progress = ProgressLine.onStdout("  fleet logins", o.devices());
        long deadline = System.nanoTime() + o.loginTimeout().toNanos();
        while (fleetLoggedIn.get() < o.devices()) {
            checkChildren();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + Math.max(0, fleetLoggedIn.get()) + " of " + o.devices()
                        + " fleet devices logged in within " + o.loginTimeout() + " (see " + logs.resolve("fleet.log")
                        + ")");
            }
            progress.update(Math.max(0, fleetLoggedIn.get()));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS));
        }
        progress.update(o.devices());
    }

    private SessionResponse awaitLogin(FirstPathClient client, char[] secret, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            checkChildren();
            try {
                return client.login(OPERATOR, secret);
            } catch (FirstPathException e) {
                if (e.status() != 0 || System.nanoTime() > deadline) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)); // the server is still starting
            }
        }
    }

    /** Publishes as {@code ./progdist program publish} does: statement signed with the development publisher key, file streamed. */
    private static void publish(FirstPathClient client, SessionResponse ops, Home home, Path file, String id,
            String version) {
        ProgramStatement statement = ProgramStatement.of(id, version, file);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Progdist-Program-Sha256", statement.sha256());
        headers.put("Progdist-Publisher-Signature", DevelopmentPki.signAsPublisher(home, statement));
        client.postFile(ops, "/api/v1/programs/" + id + "/versions/" + version, file, headers, 201);
    }

    private void checkChildren() {
        for (Process p : children) {
            if (!p.isAlive()) {
                throw new IllegalStateException("a bench process (pid " + p.pid() + ") exited with " + p.exitValue()
                        + "; see " + logs);
            }
        }
    }

    /** The fleet first (it logs its sessions out), then the server. */
    private synchronized void stopChildren() {
        List<Process> order = new ArrayList<>(children);
        java.util.Collections.reverse(order);
        for (Process p : order) {
            p.destroy();
            try {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        children.clear();
    }

    private static String mean(Samples s) {
        return BenchOutput.ms(s.meanMillis()) + " CPU mean (p50 " + BenchOutput.ms(s.percentileMillis(50)) + ")";
    }

    private static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%.1f", perSecond);
    }

    private static char[] randomSecret() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b).toCharArray();
    }
}
