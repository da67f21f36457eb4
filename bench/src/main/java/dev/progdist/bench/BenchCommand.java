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
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (not tests) of this machine.",
        subcommands = {BenchCommand.Channel.class, BenchCommand.Delivery.class})
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
