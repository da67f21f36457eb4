package dev.progdist.bench;

import dev.progdist.cli.ExtraCommand;
import dev.progdist.cli.ProgdistCli;
import dev.progdist.cli.ScratchHome;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (not tests) of this machine.",
        subcommands = {BenchCommand.Channel.class, BenchCommand.Delivery.class, BenchCommand.Rollout.class})
public final class BenchCommand implements ExtraCommand {

    /** What every bench shares: its scratch home, its logging, how long it waits for its TRP. */
    static class RunOptions {

        @Option(names = "--home", paramLabel = "DIR",
                description = "bench home, wiped first; must be new, empty or an earlier bench home"
                        + " (default: $PROGDIST_HOME/<bench>, e.g. ./data/bench or ./data/bench-delivery)")
        Path home;

        @Option(names = "--log", description = "keep progdist's INFO logging on standard error (default: WARN and up)")
        boolean log;

        @Option(names = "--startup-timeout", defaultValue = "PT120S",
                description = "how long to wait for the TRP to answer on the device bus (default: ${DEFAULT-VALUE})")
        Duration startupTimeout;

        /**
         * Wipes and returns the bench home ({@code --home}, else {@code $PROGDIST_HOME/<defaultName>}),
         * with built-in settings only and progdist's logging at WARN unless {@code --log}.
         */
        Home prepare(String defaultName) {
            Home mainHome = Home.fromEnvironment();
            Home benchHome = ScratchHome.prepare(home != null ? home : mainHome.root().resolve(defaultName),
                    mainHome.root(), "bench");
            // built-in settings only: an integrator's config/*.properties must not redirect the bench
            System.setProperty("progdist.config.dir", benchHome.root().resolve("no-config").toString());
            if (!log) {
                Logging.warnOnly("dev.progdist");
            }
            return benchHome;
        }
    }

    /**
     * Full second-path setups end to end in one JVM on a fresh bench home, then the crypto-only
     * bound of the same work in the same run, then single-operation provider rates.
     */
    @Command(name = "channel", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Time full second-path setups end to end, with the crypto-only bound beside them.",
                "%nIn a fresh home (wiped first), starts server, gateway and one TRP emulator in this JVM with"
                        + " production settings; then per session logs in (Argon2id verify on the server), opens the"
                        + " second path through the gateway (TLS 1.3 with mutual authentication, processor"
                        + " authentication, Hello/HelloAck), checks it is authenticated and logs out.",
                "%nThen, in the same run, the crypto-only bound: the same cryptographic work of both ends in one"
                        + " thread with no HTTP, JMS or database; and a table of JDK / Bouncy Castle operation rates.",
                "%nPrints one figure per line. Exit status 0 only if every session was authenticated.%n"})
    static final class Channel implements Callable<Integer> {

        @Mixin
        RunOptions run;

        @Option(names = "--sessions", paramLabel = "N", defaultValue = "200",
                description = "measured sessions (default: ${DEFAULT-VALUE})")
        int sessions;

        @Option(names = "--warmup", paramLabel = "W", defaultValue = "20",
                description = "sessions run first and not counted (default: ${DEFAULT-VALUE})")
        int warmup;

        @Option(names = "--key", paramLabel = "ec|rsa", defaultValue = "ec",
                description = "the TRP's key: ec (P-256, default) or rsa (3072 bits)")
        String key;

        @Option(names = "--argon2-memory-kib", paramLabel = "KIB",
                description = "Argon2id memory cost of the user's hash and the server (default: the server's"
                        + " built-in default, 19456 KiB with t=2, p=1)")
        Integer argon2MemoryKiB;

        @Option(names = "--fresh-client",
                description = "a new HTTPS client per session (adds a first-path TLS handshake per session);"
                        + " default: the gateway's client, its connection kept alive")
        boolean freshClient;

        @Option(names = "--no-providers", description = "skip the provider rate table (saves about 12 s)")
        boolean noProviders;


        private static final int MAX_FAILURES = 5;

        @Override
        public Integer call() throws Exception {
            if (sessions < 1 || warmup < 0) {
                throw new IllegalArgumentException("--sessions must be at least 1 and --warmup at least 0");
            }
            KeyType keyType = KeyType.parse(key);
            Argon2Cost cost = Argon2Cost.serverDefault(argon2MemoryKiB);
            cost.hasher(); // refuses an impossible cost before anything starts
            Home benchHome = run.prepare("bench");
            Runtime rt = Runtime.getRuntime();
            long runStart = System.nanoTime();

            title("progdist bench channel, " + Instant.now().truncatedTo(ChronoUnit.SECONDS));
            line("machine", rt.availableProcessors() + " CPUs, " + System.getProperty("os.name") + " "
                    + System.getProperty("os.arch") + ", max heap " + rt.maxMemory() / (1024 * 1024) + " MiB");
            line("system load average (1 min) at start", load());
            line("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
            line("bench home (wiped)", benchHome.root());
            line("settings", "built-in defaults (config directory ignored); embedded H2 and Artemis in the bench home");
            line("Argon2id cost", cost);
            line("TRP key", keyType == KeyType.EC_P256 ? "EC P-256" : "RSA 3072");
            line("first-path HTTPS client", freshClient ? "new per session (TLS handshake per session)"
                    : "the gateway's, connection kept alive");

            section("setup");
            List<String> failures = new ArrayList<>();
            Samples total = new Samples();
            Samples login = new Samples();
            Samples channel = new Samples();
            Samples logout = new Samples();
            Samples trpSteps = new Samples();
            Samples serverSteps = new Samples();
            int rounds = 0;
            long loopNanos;
            char[] secret;
            String storedHash;
            String deviceId;
            long setupStart = System.nanoTime();
            try (BenchSystem system = BenchSystem.start(benchHome, keyType, cost, run.startupTimeout,
                    text -> line("", text))) {
                line("setup time", seconds(System.nanoTime() - setupStart));
                deviceId = system.deviceId;
                secret = system.secret();
                storedHash = system.storedHash();
                FirstPathClient shared = system.gatewayClient();
                long loopStart = 0;
                for (int i = 0; i < warmup + sessions && failures.size() < MAX_FAILURES; i++) {
                    if (i == warmup) {
                        loopStart = System.nanoTime();
                    }
                    try {
                        BenchSystem.SessionRun run = system.session(freshClient ? system.newClient() : shared);
                        if (i >= warmup) {
                            total.add(run.totalNanos());
                            login.add(run.loginNanos());
                            channel.add(run.channelNanos());
                            logout.add(run.logoutNanos());
                            trpSteps.add(run.trpStepsNanos());
                            serverSteps.add(run.serverStepsNanos());
                            rounds = run.rounds();
                        }
                    } catch (RuntimeException e) {
                        failures.add("session " + (i + 1) + (i < warmup ? " (warm-up)" : "") + ": "
                                + ProgdistCli.message(e));
                    }
                }
                loopNanos = loopStart == 0 ? 0 : System.nanoTime() - loopStart;
            }

            section("end to end: login + second path + logout, one session at a time");
            line("sessions", total.count() + " authenticated, " + failures.size() + " failed (" + warmup
                    + " warm-up not counted)");
            line("relay rounds per channel", rounds + " (gateway: TRP over JMS, then server over HTTPS, per round)");
            line("wall time of the measured sessions", seconds(loopNanos));
            double e2eRate = loopNanos == 0 ? Double.NaN : total.count() / (loopNanos / 1e9);
            line("sessions/s", rate(e2eRate));
            line("session latency p50", millis(total.percentileMillis(50)));
            line("session latency p99", millis(total.percentileMillis(99)));
            line("session latency max", millis(total.maxMillis()));
            line("  login (HTTPS + Argon2id verify) p50 / p99", millis(login.percentileMillis(50)) + " / "
                    + millis(login.percentileMillis(99)));
            line("  second path (ChannelRelay.connect) p50 / p99", millis(channel.percentileMillis(50)) + " / "
                    + millis(channel.percentileMillis(99)));
            line("    relay steps to the TRP (device bus + TRP) p50", millis(trpSteps.percentileMillis(50)));
            line("    relay steps to the server (HTTPS + server) p50", millis(serverSteps.percentileMillis(50)));
            line("  logout p50 / p99", millis(logout.percentileMillis(50)) + " / "
                    + millis(logout.percentileMillis(99)));
            line("second paths/s without login/logout", rate(channel.ratePerSecond()));

            section("crypto-only bound: same keys and providers, one thread, bytes handed over in memory");
            CryptoBound bound = new CryptoBound(benchHome, deviceId, BenchSystem.USER, cost.hasher(), secret,
                    storedHash);
            line("TLS", bound.negotiated());
            CryptoBound.Result crypto = bound.run(warmup, sessions);
            Samples channels = bound.runChannels(warmup, sessions);
            Samples asComponents = bound.runAsComponents(warmup, sessions);
            CryptoBound.KeyUnwrap unwrap = bound.keyUnwrap(50);
            line("iterations", crypto.total().count() + " per loop (" + warmup + " warm-up not counted)");
            line("Argon2id verify + channel, per session p50", millis(crypto.total().percentileMillis(50)));
            line("  Argon2id verify p50", millis(crypto.argon2().percentileMillis(50)));
            line("  channel right after it p50", millis(crypto.channel().percentileMillis(50)));
            line("crypto-only sessions/s", rate(crypto.total().ratePerSecond()));
            line("Argon2id share of crypto-only session time", percent(crypto.argon2().total(),
                    crypto.total().total()));
            line("channel alone (TLS 1.3 + Hello/HelloAck/Close) p50", millis(channels.percentileMillis(50)));
            line("PKCS#12 key unwrap, server / TRP, p50", millis(unwrap.server().percentileMillis(50))
                    + " / " + millis(unwrap.trp().percentileMillis(50))
                    + " (once per process: SunX509 key managers; a PKIX one would add it to every handshake)");
            line("crypto-only channels/s (no Argon2id)", rate(channels.ratePerSecond()));
            line("channel with per-channel setup as components do, p50", millis(asComponents.percentileMillis(50))
                    + " (" + rate(asComponents.ratePerSecond()) + "/s; TrpChannel + new server context, no HTTP/JMS)");
            java.util.Arrays.fill(secret, '\0');

            section("ratios (end-to-end rate / crypto-only rate)");
            line("full session (with login, Argon2id)", ratio(e2eRate, crypto.total().ratePerSecond()));
            line("second path only (no login, no Argon2id)", ratio(channel.ratePerSecond(),
                    channels.ratePerSecond()));
            line("time outside crypto per session, mean", millis(total.meanMillis() - crypto.total().meanMillis()));
            line("time outside crypto per second path, mean", millis(channel.meanMillis()
                    - channels.meanMillis()));

            if (!noProviders) {
                section("providers: single-thread rates, each about 1 s after warm-up");
                for (ProviderRates.Rate r : new ProviderRates().measure()) {
                    line(r.operation() + " [" + r.provider() + "]", String.format(Locale.ROOT, "%,.0f/s (%.1f us)",
                            r.perSecond(), r.microsPerOp()));
                }
                line("Argon2id verify m=" + cost.memoryKiB() + " t=" + cost.iterations() + " [BC lightweight API]",
                        String.format(Locale.ROOT, "%,.1f/s (%.1f ms)",
                        crypto.argon2().ratePerSecond(), crypto.argon2().meanMillis()));
            }
            section("providers the JDK picks (JSSE asks by algorithm name)");
            ProviderRates.defaultProviders().forEach(BenchCommand::line);

            section("result");
            line("total run time", seconds(System.nanoTime() - runStart));
            line("system load average (1 min) at end", load());
            if (!failures.isEmpty()) {
                for (String f : failures) {
                    line("FAILED", f);
                }
                if (failures.size() >= MAX_FAILURES) {
                    line("FAILED", "stopped after " + MAX_FAILURES + " failures");
                }
                return 1;
            }
            line("status", "all " + (warmup + sessions) + " sessions authenticated");
            return 0;
        }
    }

    /**
     * Program delivery: the program-encryption stage against raw AES-GCM, the heap while a large
     * program is delivered end to end, and sealing one release for many devices.
     */
    @Command(name = "delivery", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Measure program delivery: encryption throughput, peak heap of a large delivery, and sealing one"
                        + " release for many devices.",
                "%n1. Program encryption: MB/s of reading an envelope stream (direct and wrapped, EC P-256 and RSA"
                        + " 3072 recipients) over a file of --encrypt-size, against raw JCA AES-256-GCM over the same"
                        + " file in 16 KiB updates, read the same way, in the same run (goal: envelope/raw >= 0.7).",
                "%n2. Peak heap: in a fresh home (wiped first), starts server, gateway and one EC TRP emulator in"
                        + " this JVM, publishes a program of --deliver-size (signed with the development publisher"
                        + " key, streamed from a file), grants it, and delivers it through the real relay, wrapped"
                        + " then direct; prints the sampled peak heap, the sum of heap pool peaks and the largest"
                        + " heap after a GC (goal: < 128 MiB), time and MB/s end to end.",
                "%n3. Sealing one release (wrapped) of --release-size for --devices device certificates (half EC,"
                        + " half RSA): one-time encryption, cost per extra device (header only and full envelope),"
                        + " against sealing each device from scratch.",
                "%nTo show that the heap really is bounded, run it with a capped heap; the launcher passes"
                        + " PROGDIST_JAVA_OPTS to the JVM:%n  PROGDIST_JAVA_OPTS=-Xmx128m ./progdist bench delivery",
                "%nPrints one figure per line. Exit status 0 only if every delivery was installed (and the installed"
                        + " bytes are the published ones). The bench home holds about 2 x --deliver-size afterwards"
                        + " (the published blob, the installed copy).%n"})
    static final class Delivery implements Callable<Integer> {

        @Mixin
        RunOptions run;

        @Option(names = "--encrypt-size", paramLabel = "SIZE", defaultValue = "256MiB",
                description = "program size for the encryption throughput (default: ${DEFAULT-VALUE};"
                        + " units KiB, MiB, GiB or bytes)")
        String encryptSize;

        @Option(names = "--deliver-size", paramLabel = "SIZE", defaultValue = "1GiB",
                description = "program size for the delivery heap measurement (default: ${DEFAULT-VALUE})")
        String deliverSize;

        @Option(names = "--release-size", paramLabel = "SIZE", defaultValue = "64MiB",
                description = "release size for sealing many devices (default: ${DEFAULT-VALUE})")
        String releaseSize;

        @Option(names = "--devices", paramLabel = "N", defaultValue = "200",
                description = "device certificates for sealing one release, half EC P-256, half RSA 3072"
                        + " (default: ${DEFAULT-VALUE})")
        int devices;

        @Option(names = "--runs", paramLabel = "N", defaultValue = "5",
                description = "measured passes of each encryption variant, after 2 warm-up passes"
                        + " (default: ${DEFAULT-VALUE})")
        int runs;

        @Option(names = "--skip-deliver", description = "skip the delivery heap measurement (section 2)")
        boolean skipDeliver;


        @Override
        public Integer call() throws Exception {
            if (devices < 2 || runs < 1) {
                throw new IllegalArgumentException("--devices must be at least 2 (one EC, one RSA) and --runs at"
                        + " least 1");
            }
            long encrypt = BenchFiles.parseSize(encryptSize);
            long deliver = BenchFiles.parseSize(deliverSize);
            long release = BenchFiles.parseSize(releaseSize);
            Home benchHome = run.prepare("bench-delivery");
            List<String> failures = new DeliveryBench(new DeliveryBench.Options(benchHome, encrypt, deliver, release,
                    devices, skipDeliver, runs, run.startupTimeout), new BenchOutput(System.out)).run();
            return failures.isEmpty() ? 0 : 1;
        }
    }

    /**
     * A rollout of one program to N fleet devices, server and fleet in their own JVMs, with the
     * crypto-only bound of one delivery measured in the same run.
     */
    @Command(name = "rollout", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Time a rollout of one program to N fleet devices, with the crypto-only bound beside it.",
                "%nIn a bench home (wiped first unless --keep-home), not timed: development PKI, an operator and a"
                        + " fleet user (Argon2id at the server's built-in default cost unless --argon2-memory-kib), N"
                        + " fleet TRPs (EC P-256) manufactured and registered, one program of --size (pseudo-random)"
                        + " published and granted. Then the server and the fleet ('fleet run') start as separate child"
                        + " JVMs (the server allows N+5 sessions and workers+5 second paths per user and ticks its"
                        + " rollout scheduler every --scheduler-period); when every fleet device is logged in, an"
                        + " --warmup-rounds warm-up rollouts to the first --warmup devices, then the measured rollout to all N"
                        + " (targets device=<prefix>-*), clock from its creation until it finished.",
                "%nPrints devices/s (installed / wall time), server and fleet CPU ms per device (each process's"
                        + " utime+stime over the rollout only), p50/p99 per-device time from the rollout's device"
                        + " pages (startedAt -> finishedAt, and offeredAt -> finishedAt); then, in this JVM after both"
                        + " children stopped, the crypto-only work of one delivery, both ends (TLS 1.3 handshake, key"
                        + " wrap, envelope, opening, the TRP's publisher check, receipt signature and check; wrapped:"
                        + " the release's one encryption amortised over N), per step on one thread, then on one thread"
                        + " per core at once (three readings, their median counts), and the ratio",
                "%n  rollout devices/s / crypto-only devices/s on all cores (measured)",
                "%n(goal >= 0.5 at N = 1,000). Logs of both children in <home>/logs.",
                "%nExit status 0 only if the rollout finished with every device installed; otherwise one FAILED"
                        + " line per reason and per device not installed (the first 50).%n"})
    static final class Rollout implements Callable<Integer> {

        @Mixin
        RunOptions run;

        @Option(names = "--devices", paramLabel = "N", defaultValue = "100",
                description = "fleet devices, all targets of the rollout (default: ${DEFAULT-VALUE})")
        int devices;

        @Option(names = "--size", paramLabel = "SIZE", defaultValue = "64KiB",
                description = "program size (default: ${DEFAULT-VALUE}; units KiB, MiB, GiB or bytes)")
        String size;

        @Option(names = "--mode", paramLabel = "wrapped|direct", defaultValue = "wrapped",
                description = "envelope mode: wrapped (encrypted once, key wrapped per device; default) or direct")
        String mode;

        @Option(names = "--groups", paramLabel = "P,P,…", split = ",",
                description = "cumulative group percentages, e.g. 5,25,100 (default: one group of every device)")
        List<Integer> groups = new ArrayList<>();

        @Option(names = "--warmup", paramLabel = "W",
                description = "devices of a warm-up rollout (version 0.1) before the measured one, not counted,"
                        + " so that the JIT has compiled the hot paths of both processes; 0: none (default: every"
                        + " device, at most " + RolloutBench.DEFAULT_MAX_WARMUP + ")")
        Integer warmup;

        @Option(names = "--warmup-rounds", paramLabel = "R", defaultValue = "9",
                description = "warm-up rollouts to those devices, one after the other (versions 0.1, 0.2, …), 1 to"
                        + " 9; at 1,000 devices each round cost less CPU per device than the one before until"
                        + " about the ninth (the fleet's JIT settles there; 1 round measures a JVM still"
                        + " compiling; default: ${DEFAULT-VALUE})")
        int warmupRounds;

        @Option(names = "--check-in-rate", paramLabel = "R",
                description = "the server's progdist.rollout.check-in-rate, check-ins per second of all sessions"
                        + " together (default: the server's built-in default)")
        Integer checkInRate;

        @Option(names = "--prefix", defaultValue = "fleet", description = "device IDs <prefix>-0001 … (default: ${DEFAULT-VALUE})")
        String prefix;

        @Option(names = "--keep-home",
                description = "reuse the bench home of an earlier run: keep its PKI and manufactured TRPs (provisioning"
                        + " 10,000 TRPs takes about 15 min), wipe its database, broker, blobs and logs")
        boolean keepHome;

        @Option(names = "--check-in", paramLabel = "DURATION", defaultValue = "5s",
                description = "each fleet device's check-in period, also the server's checkInAfter (default:"
                        + " ${DEFAULT-VALUE}, the gateway's built-in period)")
        String checkIn;

        @Option(names = "--workers", paramLabel = "N", defaultValue = "16",
                description = "fleet threads for check-ins and deliveries (default: ${DEFAULT-VALUE}, as 'fleet run')")
        int workers;

        @Option(names = "--logins", paramLabel = "N", defaultValue = "2",
                description = "fleet logins at once while the sessions open (default: ${DEFAULT-VALUE})")
        int logins;

        @Option(names = "--argon2-memory-kib", paramLabel = "KIB",
                description = "Argon2id memory cost of the users' hashes and the server (default: the server's"
                        + " built-in default, 19456 KiB with t=2, p=1); lower it only to shorten the fleet's logins")
        Integer argon2MemoryKiB;

        @Option(names = "--scheduler-period", paramLabel = "MS", defaultValue = "200",
                description = "the server's rollout scheduler tick in milliseconds (default: ${DEFAULT-VALUE})")
        long schedulerPeriod;

        @Option(names = "--server-heap", paramLabel = "MIB",
                description = "server -Xmx in MiB (default: 512 + 3 x N x the relay window in MiB; ended channels"
                        + " keep their buffers until they expire)")
        Integer serverHeap;

        @Option(names = "--fleet-heap", paramLabel = "MIB",
                description = "fleet -Xmx in MiB (default: 256 + N/9 + (16 x workers + 4 x N) x the relay window in"
                        + " MiB, the window being the program size up to 1 MiB)")
        Integer fleetHeap;

        @Option(names = "--timeout", paramLabel = "DURATION",
                description = "how long the rollout may take before the bench gives up (default: 5m + 0.2 s per"
                        + " device); also its per-device timeout")
        String timeout;

        @Option(names = "--crypto-iterations", paramLabel = "N", defaultValue = "200",
                description = "measured iterations of the crypto-only delivery (default: ${DEFAULT-VALUE})")
        int cryptoIterations;

        @Override
        public Integer call() throws Exception {
            RolloutBench.Options options = options();
            List<String> failures = new RolloutBench(options, new BenchOutput(System.out)).run();
            return failures.isEmpty() ? 0 : 1;
        }

        /** The options checked and resolved; prepares (wipes) the bench home last. */
        RolloutBench.Options options() {
            if (devices < 1 || devices > 99_999) {
                throw new IllegalArgumentException("--devices must be 1 to 99999");
            }
            int warmupDevices = warmup != null ? warmup : Math.min(devices, RolloutBench.DEFAULT_MAX_WARMUP);
            if (warmupDevices < 0 || workers < 1 || logins < 1 || cryptoIterations < 1 || schedulerPeriod < 10) {
                throw new IllegalArgumentException("--warmup must be at least 0, --workers, --logins and"
                        + " --crypto-iterations at least 1, --scheduler-period at least 10");
            }
            if (warmupRounds < 1 || warmupRounds > 9) {
                throw new IllegalArgumentException("--warmup-rounds must be 1 to 9");
            }
            if (checkInRate != null && (checkInRate < 0 || checkInRate > 100_000)) {
                throw new IllegalArgumentException("--check-in-rate must be 0 to 100000");
            }
            long bytes = BenchFiles.parseSize(size);
            if (bytes < 1) {
                throw new IllegalArgumentException("--size must be at least 1 byte");
            }
            dev.progdist.protocol.program.EnvelopeMode envelopeMode = dev.progdist.protocol.program.EnvelopeMode
                    .parse(mode);
            List<Integer> g = RolloutFigures.groups(groups);
            Duration checkInPeriod = dev.progdist.cli.Durations.parse("--check-in", checkIn);
            Duration rolloutTimeout = timeout != null ? dev.progdist.cli.Durations.parse("--timeout", timeout)
                    : Duration.ofMinutes(5).plusMillis(200L * devices);
            Duration loginTimeout = run.startupTimeout.plusMillis(200L * devices);
            Argon2Cost cost = Argon2Cost.serverDefault(argon2MemoryKiB);
            cost.hasher(); // refuses an impossible cost before anything starts
            dev.progdist.fleet.FleetDevices.ids(prefix, devices); // refuses a bad prefix
            Home benchHome = keepHome ? keep() : run.prepare("bench-rollout");
            return new RolloutBench.Options(benchHome, keepHome, prefix, devices, bytes, envelopeMode, g, warmupDevices,
                    warmupRounds, cost, checkInPeriod, Optional.ofNullable(checkInRate), workers, logins, serverHeap != null ? serverHeap : defaultServerHeapMiB(devices, bytes),
                    fleetHeap != null ? fleetHeap : defaultFleetHeapMiB(devices, workers, bytes), schedulerPeriod, loginTimeout, rolloutTimeout,
                    cryptoIterations);
        }

        /**
         * Each fleet worker holds a relay window of the envelope several times over, and each TRP
         * keeps its last channel's buffers for the life of the process (measured: about 3 MiB per
         * device delivered at 1 MiB windows; 623 MiB ran out after 112 devices).
         */
        static int defaultFleetHeapMiB(int devices, int workers, long size) {
            double windowMiB = window(size);
            return (int) Math.ceil(256 + devices / 9.0 + 16 * workers * windowMiB + 4 * devices * windowMiB);
        }

        /**
         * The server keeps each ended channel, with its delivery's buffers, until the channel's idle
         * timeout (measured: 685 MB of live byte[] after 510 devices at 1 MiB; 2 GiB ran out near 950).
         */
        static int defaultServerHeapMiB(int devices, long size) {
            return (int) Math.ceil(512 + 3 * devices * window(size));
        }

        /** The relay window in MiB: the program size, up to the server's 1 MiB window. */
        private static double window(long size) {
            return Math.min(size, 1024 * 1024) / (1024.0 * 1024);
        }

        /** An earlier bench home with its PKI and TRPs: everything else of it is wiped. */
        private Home keep() {
            Home mainHome = Home.fromEnvironment();
            Path dir = (run.home != null ? run.home : mainHome.root().resolve("bench-rollout")).toAbsolutePath();
            Home h = Home.at(dir);
            if (!java.nio.file.Files.exists(dir.resolve(".progdist-bench-home"))
                    || !dev.progdist.devpki.DevelopmentPki.exists(h)) {
                throw new IllegalArgumentException("--keep-home: " + dir + " is not an earlier bench home with a"
                        + " development PKI; run once without --keep-home");
            }
            for (Path p : List.of(h.databaseDir(), h.brokerDir(), h.blobsDir(), h.workDir(), h.gatewayDir(),
                    dir.resolve("logs"))) {
                deleteTree(p);
            }
            System.setProperty("progdist.config.dir", dir.resolve("no-config").toString());
            if (!run.log) {
                Logging.warnOnly("dev.progdist");
            }
            return h;
        }

        private static void deleteTree(Path p) {
            if (!java.nio.file.Files.exists(p)) {
                return;
            }
            try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(p)) {
                for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.delete(f);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot wipe " + p + ": " + e.getMessage(), e);
            }
        }
    }

    static void title(String text) {
        System.out.println(text);
    }

    static void section(String name) {
        System.out.println();
        System.out.println("== " + name);
    }

    static void line(String label, Object value) {
        System.out.println(label.isEmpty() ? "  " + value : String.format(Locale.ROOT, "%-52s %s", label, value));
    }

    /** Other processes compete for the same cores: say how busy the machine was. */
    static String load() {
        double l = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return l < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", l);
    }

    static String millis(double ms) {
        return String.format(Locale.ROOT, "%.2f ms", ms);
    }

    static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%.1f", perSecond);
    }

    static String ratio(double a, double b) {
        return String.format(Locale.ROOT, "%.3f (%.1f / %.1f per s)", a / b, a, b);
    }

    static String percent(long part, long whole) {
        return String.format(Locale.ROOT, "%.1f %%", 100.0 * part / whole);
    }
}
