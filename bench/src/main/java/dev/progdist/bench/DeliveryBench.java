package dev.progdist.bench;

import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.gateway.ChannelRelay;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.trp.InstalledPrograms;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./progdist bench delivery}: the program-encryption stage's throughput against raw AES-GCM,
 * the heap used while a large program is delivered end to end (server, gateway and TRP emulator in
 * this JVM), and the cost of sealing one release for many devices. Every figure on its own line.
 */
public final class DeliveryBench {

    /** What to run; sizes in bytes. */
    public record Options(Home home, long encryptSize, long deliverSize, long releaseSize, int devices,
            boolean skipDeliver, int runs, Duration startupTimeout) {
    }

    public static final double ENCRYPTION_GOAL = 0.7;
    public static final long HEAP_GOAL_BYTES = 128L * 1024 * 1024;
    static final String PROGRAM = "bench-program";
    static final int WARMUP_ROUNDS = 2;
    static final int SCRATCH_RUNS = 3;

    private final Options options;
    private final BenchOutput out;
    private final List<String> failures = new ArrayList<>();

    public DeliveryBench(Options options, BenchOutput out) {
        this.options = options;
        this.out = out;
    }

    /** Runs all sections; returns the failures (empty when every delivery was installed). */
    public List<String> run() throws Exception {
        Home home = options.home();
        Runtime rt = Runtime.getRuntime();
        long runStart = System.nanoTime();
        out.title("progdist bench delivery, " + Instant.now().truncatedTo(ChronoUnit.SECONDS));
        out.line("machine", rt.availableProcessors() + " CPUs, " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch"));
        out.line("JVM max heap", BenchOutput.mib(rt.maxMemory()) + " (-Xmx through PROGDIST_JAVA_OPTS)");
        out.line("JVM options", String.join(" ",
                java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
        out.line("system load average (1 min) at start", BenchOutput.load());
        out.line("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        out.line("bench home (wiped)", home.root());
        out.line("units", "MB = 10^6 bytes; MiB = 2^20 bytes; rates are program bytes per second");

        out.section("setup");
        long t = System.nanoTime();
        DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        List<DeviceCertificates.Device> devices = DeviceCertificates.make(home, options.devices());
        out.line("development PKI + device certificates", devices.size() + " (" + count(devices, KeyType.EC_P256)
                + " EC P-256, " + count(devices, KeyType.RSA_3072) + " RSA 3072, each its own key pair) in "
                + BenchOutput.seconds(System.nanoTime() - t));

        encryption(home, devices);
        if (options.skipDeliver()) {
            out.section("2. peak heap while delivering: skipped (--skip-deliver)");
        } else {
            delivery(home);
        }
        sealing(home, devices);

        out.section("result");
        out.line("total run time", BenchOutput.seconds(System.nanoTime() - runStart));
        out.line("system load average (1 min) at end", BenchOutput.load());
        for (String f : failures) {
            out.line("FAILED", f);
        }
        if (failures.isEmpty()) {
            out.line("status", options.skipDeliver() ? "no delivery run (--skip-deliver)" : "every delivery installed");
        }
        return failures;
    }

    // ---- 1 ----------------------------------------------------------------------------------

    private void encryption(Home home, List<DeviceCertificates.Device> devices) throws Exception {
        out.section("1. program encryption throughput (EnvelopeStream read to its end vs raw AES-256-GCM)");
        Path program = BenchFiles.random(home.root().resolve("encrypt-program.bin"), options.encryptSize());
        try {
            out.line("program file", BenchFiles.size(options.encryptSize())
                    + " pseudo-random, in the bench home (read through the page cache)");
            out.line("passes", WARMUP_ROUNDS + " warm-up + " + options.runs()
                    + " measured rounds, one pass of each variant per round; reads of "
                    + EncryptionThroughput.CHUNK / 1024 + " KiB");
            List<EncryptionThroughput.Variant> variants = new EncryptionThroughput(program, options.encryptSize())
                    .measure(first(devices, KeyType.EC_P256), first(devices, KeyType.RSA_3072), WARMUP_ROUNDS,
                            options.runs());
            EncryptionThroughput.Variant raw = variants.get(0);
            out.line("raw JCA AES/GCM/NoPadding, 16 KiB updates, best", BenchOutput.mbps(raw.best()));
            out.line("raw JCA AES/GCM/NoPadding, 16 KiB updates, median", BenchOutput.mbps(raw.median()));
            for (EncryptionThroughput.Variant v : variants.subList(1, variants.size())) {
                out.line(v.label() + ", best", BenchOutput.mbps(v.best()));
                out.line(v.label() + ", median", BenchOutput.mbps(v.median()));
                double ratioBest = v.best() / raw.best();
                double ratioMedian = v.median() / raw.median();
                out.line(v.label() + ", envelope/raw best", ratio(ratioBest));
                out.line(v.label() + ", envelope/raw median", ratio(ratioMedian) + goal(ratioMedian));
            }
        } finally {
            BenchFiles.deleteQuietly(program);
        }
    }

    private static String ratio(double r) {
        return String.format(Locale.ROOT, "%.3f", r);
    }

    private static String goal(double r) {
        return String.format(Locale.ROOT, " (goal >= %.1f: %s)", ENCRYPTION_GOAL, r >= ENCRYPTION_GOAL ? "met"
                : "NOT met");
    }

    // ---- 2 ----------------------------------------------------------------------------------

    private void delivery(Home home) throws Exception {
        out.section("2. peak heap while delivering a " + BenchFiles.size(options.deliverSize())
                + " program end to end (server, gateway, TRP in this JVM)");
        Path program = BenchFiles.random(home.root().resolve("deliver-program.bin"), options.deliverSize());
        long t = System.nanoTime();
        try (BenchSystem system = BenchSystem.start(home, KeyType.EC_P256, Argon2Cost.serverDefault(null),
                options.startupTimeout(), text -> out.line("", text))) {
            out.line("system start", BenchOutput.seconds(System.nanoTime() - t));
            String[][] runs = {{"1.0", "wrapped"}, {"2.0", "direct"}};
            for (String[] run : runs) {
                t = System.nanoTime();
                system.publish(PROGRAM, run[0], program);
                long publishNanos = System.nanoTime() - t;
                system.grant(PROGRAM);
                out.line("publish " + run[0] + " (hash, sign, stream into the catalog)", BenchOutput.seconds(publishNanos)
                        + ", " + BenchOutput.mbps(BenchFiles.mbPerSecond(options.deliverSize(), publishNanos)));
            }
            String expectedSha256 = Fingerprints.sha256(program);
            BenchFiles.deleteQuietly(program); // the catalog holds its own copy now
            for (String[] run : runs) {
                deliverOnce(system, run[0], run[1], expectedSha256);
            }
        }
    }

    private void deliverOnce(BenchSystem system, String version, String mode, String expectedSha256)
            throws Exception {
        String label = mode + " (TRP " + system.deviceId + ", EC P-256)";
        ChannelRelay relay = system.loggedInRelay();
        System.gc(); // a full, synchronous collection: the delivery starts from live data only
        HeapWatch watch = new HeapWatch();
        long before = watch.usedNow();
        HeapWatch.Result heap;
        ChannelRelay.Outcome outcome = null;
        long nanos;
        watch.start();
        long t0 = System.nanoTime();
        try {
            outcome = relay.fetch(system.deviceId, new ChannelRelay.Fetch(PROGRAM, version, mode));
        } catch (RuntimeException e) {
            failures.add(label + ": " + e);
        } finally {
            nanos = System.nanoTime() - t0;
            heap = watch.stop();
            watch.close();
        }
        out.line(label + ": heap used before (after a GC)", BenchOutput.mib(before));
        out.line(label + ": peak heap used, sampled every " + HeapWatch.PERIOD_MILLIS + " ms",
                BenchOutput.mib(heap.sampledPeak()) + heapGoal(heap.sampledPeak()));
        out.line(label + ": sum of heap pool peaks", BenchOutput.mib(heap.poolPeakSum()) + heapGoal(heap.poolPeakSum()));
        out.line(label + ": largest heap right after a GC", BenchOutput.mib(heap.afterGcMax()) + " ("
                + heap.collections() + " collections during the delivery)");
        out.line(label + ": JVM max heap", BenchOutput.mib(heap.maxHeap()));
        out.line(label + ": delivery time", BenchOutput.seconds(nanos) + " (second path, all windows, TRP opens"
                + " and installs, receipt)");
        out.line(label + ": end to end", BenchOutput.mbps(BenchFiles.mbPerSecond(options.deliverSize(), nanos)));
        if (outcome == null) {
            return;
        }
        out.line(label + ": relay rounds", outcome.rounds() + " (server window "
                + "progdist.delivery.window, default 1 MiB, per round)");
        if (!outcome.installed()) {
            failures.add(label + ": not installed: delivery " + outcome.delivery() + ", receipt "
                    + outcome.trpReport().get("progdistReceipt") + ", code " + outcome.code() + ", server "
                    + outcome.serverState() + ", TRP " + outcome.trpState());
            out.line(label + ": installed", "NO (" + outcome.code() + ")");
            return;
        }
        InstalledPrograms installed = new InstalledPrograms(system.home, system.deviceId);
        Path file = installed.programFile(PROGRAM).orElse(null);
        boolean same = file != null && version.equals(installed.installedVersion(PROGRAM).orElse(null))
                && expectedSha256.equals(Fingerprints.sha256(file));
        if (!same) {
            failures.add(label + ": the TRP reports installed, but its installed bytes differ from the published ones");
        }
        out.line(label + ": installed", same ? "yes, receipt accepted, installed bytes = published bytes" : "NO");
    }

    private static String heapGoal(long bytes) {
        return bytes < HEAP_GOAL_BYTES ? " (goal < 128 MiB: met)" : " (goal < 128 MiB: NOT met)";
    }

    // ---- 3 ----------------------------------------------------------------------------------

    private void sealing(Home home, List<DeviceCertificates.Device> devices) throws Exception {
        out.section("3. sealing one release for " + devices.size() + " devices (wrapped, SealedRelease)");
        Path release = BenchFiles.random(home.root().resolve("release-program.bin"), options.releaseSize());
        ReleaseSealing.Result r;
        try {
            r = new ReleaseSealing(release, home.root().resolve("release.ciphertext"),
                    home.root().resolve("release-scratch.envelope")).measure(devices, SCRATCH_RUNS);
        } finally {
            BenchFiles.deleteQuietly(release);
        }
        long size = r.size();
        out.line("release", BenchFiles.size(size) + " pseudo-random; devices " + r.headerEc().count() + " EC P-256 + "
                + r.headerRsa().count() + " RSA 3072");
        out.line("one-time encryption (SealedRelease.encrypt)", BenchOutput.seconds(r.encryptNanos()) + " = "
                + BenchOutput.ms(r.encryptNanos() / 1e6) + ", " + BenchOutput.mbps(BenchFiles.mbPerSecond(size,
                r.encryptNanos())) + " (includes writing and forcing the ciphertext file)");
        out.line("per extra device, header only, EC: p50", BenchOutput.ms(r.headerEc().percentileMillis(50))
                + "/device (mean " + BenchOutput.ms(r.headerEc().meanMillis()) + ", p99 "
                + BenchOutput.ms(r.headerEc().percentileMillis(99)) + "; header " + r.headerBytesEc() + " bytes)");
        out.line("per extra device, header only, RSA: p50", BenchOutput.ms(r.headerRsa().percentileMillis(50))
                + "/device (mean " + BenchOutput.ms(r.headerRsa().meanMillis()) + ", p99 "
                + BenchOutput.ms(r.headerRsa().percentileMillis(99)) + "; header " + r.headerBytesRsa() + " bytes)");
        out.line("per extra device, full envelope to a null sink, EC: p50", fullLine(r.fullEc(), size));
        out.line("per extra device, full envelope to a null sink, RSA: p50", fullLine(r.fullRsa(), size));
        out.line("from scratch, ProgramSealer to a file, EC: p50", BenchOutput.ms(r.sealerEc().percentileMillis(50))
                + "/device (" + r.sealerEc().count() + " runs; writes and forces a " + BenchFiles.size(size)
                + " file)");
        out.line("from scratch, ProgramSealer to a file, RSA: p50", BenchOutput.ms(r.sealerRsa().percentileMillis(50))
                + "/device (" + r.sealerRsa().count() + " runs)");
        out.line("from scratch, EnvelopeStream to a null sink, EC: p50",
                fullLine(r.scratchStreamEc(), size) + " (" + r.scratchStreamEc().count() + " runs)");
        out.line("from scratch, EnvelopeStream to a null sink, RSA: p50",
                fullLine(r.scratchStreamRsa(), size) + " (" + r.scratchStreamRsa().count() + " runs)");
        int n = devices.size();
        double once = r.encryptNanos() / 1e6;
        double headers = (r.headerEc().total() + r.headerRsa().total()) / 1e6;
        double fulls = (r.fullEc().total() + r.fullRsa().total()) / 1e6;
        double scratch = n / 2.0 * (r.sealerEc().percentileMillis(50) + r.sealerRsa().percentileMillis(50));
        double scratchStream = n / 2.0 * (r.scratchStreamEc().percentileMillis(50)
                + r.scratchStreamRsa().percentileMillis(50));
        out.line(n + " devices, encrypt once + headers", BenchOutput.ms(once + headers) + " (measured)");
        out.line(n + " devices, encrypt once + full envelopes streamed", BenchOutput.ms(once + fulls) + " (measured)");
        out.line(n + " devices, ProgramSealer from scratch", BenchOutput.ms(scratch) + " (estimated: " + n
                + " x the p50 per device, EC/RSA mix)");
        out.line(n + " devices, EnvelopeStream from scratch, streamed", BenchOutput.ms(scratchStream)
                + " (estimated the same way)");
        out.line("per device, from scratch / extra device header, EC", ratio(r.sealerEc().percentileMillis(50)
                / r.headerEc().percentileMillis(50)) + "x");
        out.line("per device, from scratch / extra device header, RSA", ratio(r.sealerRsa().percentileMillis(50)
                / r.headerRsa().percentileMillis(50)) + "x");
    }

    private static String fullLine(Samples s, long size) {
        double p50 = s.percentileMillis(50);
        return BenchOutput.ms(p50) + "/device, " + BenchOutput.mbps(size / 1e6 / (p50 / 1e3));
    }

    private static long count(List<DeviceCertificates.Device> devices, KeyType type) {
        return devices.stream().filter(d -> d.type() == type).count();
    }

    private static java.security.cert.X509Certificate first(List<DeviceCertificates.Device> devices, KeyType type) {
        return devices.stream().filter(d -> d.type() == type).findFirst().orElseThrow().certificate();
    }
}
