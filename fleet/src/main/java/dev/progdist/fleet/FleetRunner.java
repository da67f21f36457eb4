package dev.progdist.fleet;

import dev.progdist.gateway.ChannelRelay;
import dev.progdist.gateway.DeviceBus;
import dev.progdist.gateway.DeviceCheckIn;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.gateway.FirstPathException;
import dev.progdist.gateway.SessionKeeper;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.wire.ProblemType;
import dev.progdist.trp.TrpFault;
import dev.progdist.trp.TrpFaults;
import dev.progdist.trp.TrpIdentityStore;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fleet of N emulated TRPs and their gateways in this JVM, in the spirit of hawkBit's device
 * simulator, until {@link #close()}: one device bus ({@link FleetBus}: one embedded broker, a bus
 * user per TRP, the queue pair per device), one first-path session per device (one HTTPS client
 * per server, shared), and each device checking in with the gateway's own {@link DeviceCheckIn}
 * and relaying with its own {@link ChannelRelay}; the TRPs answer with the TRP emulator's own
 * classes. No Camel context per device: a bounded pool of workers runs the check-ins, each device
 * rescheduling itself with jitter so that a thousand devices do not check in at the same instant,
 * and at most {@link Options#maxConcurrentLogins()} log in at once.
 *
 * <p>With several servers ({@link Options#servers()}), device i starts on server i mod k and fails
 * over: when its server cannot be reached (no connection, or the connection lost mid-delivery) its
 * gateway moves to the next server in the list, logs in there and checks in again, as a gateway
 * behind a load balancer would after an instance died.
 *
 * <p>Faults ({@link FaultPlan}) are chosen deterministically and logged at start. A device with
 * the vanish fault goes silent mid-delivery, TRP and gateway alike: it never checks in again.
 *
 * <p>Thread-safe. For tests and benchmarks in-process; {@code ./progdist fleet run} runs it as a
 * process of its own.
 */
public final class FleetRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FleetRunner.class);

    /**
     * How to run a fleet. Start from {@link #of} and change with the {@code with…} methods.
     *
     * @param home                the home holding the TRPs' stores (as {@code fleet provision} made them)
     * @param prefix              device IDs are {@code <prefix>-0001} …
     * @param devices             how many
     * @param user                the device user every gateway session logs in as (owner of the devices)
     * @param secret              that user's secret (copied; wiped at {@link #close()})
     * @param servers             the server(s); device i starts on server i mod k, then fails over to the next
     * @param trustCa             the distribution CA's PEM ({@code null}: the home's)
     * @param checkInPeriod       time between one device's check-ins (jittered ±20 %)
     * @param faults              which faults to show
     * @param slowDelay           the slow fault's delay per relay step
     * @param workers             threads running check-ins and deliveries
     * @param maxConcurrentLogins logins running at once (each costs the server an Argon2id check)
     * @param busRequestTimeout   how long a TRP may take to answer a status request
     * @param busStepTimeout      how long a TRP may take to answer one relay step
     * @param httpTimeout         the first path's connect and request timeout
     * @param refreshMargin       refresh a session when less than this remains
     * @param maxMessageBytes     the largest device-bus message
     */
    public record Options(Path home, String prefix, int devices, String user, char[] secret, List<URI> servers,
            Path trustCa, Duration checkInPeriod, FaultPlan faults, Duration slowDelay, int workers,
            int maxConcurrentLogins, Duration busRequestTimeout, Duration busStepTimeout, Duration httpTimeout,
            Duration refreshMargin, long maxMessageBytes) {

        public Options {
            Objects.requireNonNull(home, "home");
            FleetDevices.ids(prefix, devices); // checks both
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(secret, "secret");
            if (servers == null || servers.isEmpty()) {
                throw new IllegalArgumentException("the fleet needs at least one server URL");
            }
            servers = List.copyOf(servers);
            if (checkInPeriod.compareTo(Duration.ofMillis(100)) < 0 || checkInPeriod.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("--check-in must be 100 ms to 1 h, not " + checkInPeriod);
            }
            if (workers < 1 || workers > 512) {
                throw new IllegalArgumentException("--workers must be 1 to 512");
            }
            if (maxConcurrentLogins < 1 || maxConcurrentLogins > 64) {
                throw new IllegalArgumentException("--logins must be 1 to 64");
            }
            faults = faults == null ? FaultPlan.NONE : faults;
            new TrpFaults(null, slowDelay); // checks the delay's range now, not at the first slow device
            faults.assign(FleetDevices.ids(prefix, devices)); // enough devices for the faults
        }

        /** Defaults: {@code https://localhost:8443}, check-in every 5 s, no faults, 16 workers, 2 logins at once. */
        public static Options of(Path home, String prefix, int devices, String user, char[] secret) {
            return new Options(home, prefix, devices, user, secret, List.of(URI.create("https://localhost:8443")), null,
                    Duration.ofSeconds(5), FaultPlan.NONE, TrpFaults.DEFAULT_SLOW_DELAY, 16, 2,
                    Duration.ofSeconds(10), Duration.ofMinutes(2), Duration.ofSeconds(30), Duration.ofMinutes(5),
                    4_456_448);
        }

        public Options withSecret(char[] s) {
            return new Options(home, prefix, devices, user, s, servers, trustCa, checkInPeriod, faults, slowDelay,
                    workers, maxConcurrentLogins, busRequestTimeout, busStepTimeout, httpTimeout, refreshMargin,
                    maxMessageBytes);
        }

        public Options withServers(List<URI> s) {
            return new Options(home, prefix, devices, user, secret, s, trustCa, checkInPeriod, faults, slowDelay,
                    workers, maxConcurrentLogins, busRequestTimeout, busStepTimeout, httpTimeout, refreshMargin,
                    maxMessageBytes);
        }

        public Options withTrustCa(Path t) {
            return new Options(home, prefix, devices, user, secret, servers, t, checkInPeriod, faults, slowDelay,
                    workers, maxConcurrentLogins, busRequestTimeout, busStepTimeout, httpTimeout, refreshMargin,
                    maxMessageBytes);
        }

        public Options withCheckInPeriod(Duration p) {
            return new Options(home, prefix, devices, user, secret, servers, trustCa, p, faults, slowDelay, workers,
                    maxConcurrentLogins, busRequestTimeout, busStepTimeout, httpTimeout, refreshMargin,
                    maxMessageBytes);
        }

        public Options withFaults(FaultPlan f, Duration slow) {
            return new Options(home, prefix, devices, user, secret, servers, trustCa, checkInPeriod, f, slow, workers,
                    maxConcurrentLogins, busRequestTimeout, busStepTimeout, httpTimeout, refreshMargin,
                    maxMessageBytes);
        }

        public Options withWorkers(int w, int logins) {
            return new Options(home, prefix, devices, user, secret, servers, trustCa, checkInPeriod, faults, slowDelay,
                    w, logins, busRequestTimeout, busStepTimeout, httpTimeout, refreshMargin, maxMessageBytes);
        }

        public Options withTimeouts(Duration busRequest, Duration busStep, Duration http) {
            return new Options(home, prefix, devices, user, secret, servers, trustCa, checkInPeriod, faults, slowDelay,
                    workers, maxConcurrentLogins, busRequest, busStep, http, refreshMargin, maxMessageBytes);
        }

        public Options withBusLimits(Duration refresh, long maxBytes) {
            return new Options(home, prefix, devices, user, secret, servers, trustCa, checkInPeriod, faults, slowDelay,
                    workers, maxConcurrentLogins, busRequestTimeout, busStepTimeout, httpTimeout, refresh, maxBytes);
        }

        @Override
        public String toString() {
            return "Options[" + prefix + " x" + devices + ", user " + user + ", servers " + servers + ", check-in "
                    + checkInPeriod + ", faults " + faults + ", workers " + workers + "]";
        }
    }

    /** One device's gateway towards one server: its session there, its check-in and relay. */
    private final class Gateway {
        final FirstPathClient client;
        final SessionKeeper keeper;
        final DeviceCheckIn checkIn;

        Gateway(FirstPathClient client, DeviceBus bus) {
            this.client = client;
            this.keeper = new SessionKeeper(client, options.user(), secret, options.refreshMargin(), Clock.systemUTC());
            ChannelRelay relay = new ChannelRelay(keeper, client, bus);
            this.checkIn = new DeviceCheckIn(keeper, client, (device, fetch) -> {
                delivering.incrementAndGet();
                try {
                    return relay.fetch(device, fetch);
                } finally {
                    delivering.decrementAndGet();
                }
            });
        }
    }

    /**
     * One device: a gateway per server, in this device's order (its own server first, then the
     * others), the one in use, and its place in the schedule.
     */
    private final class Device {
        final String id;
        final TrpFault fault;
        final List<Gateway> gateways;
        volatile int current;
        volatile boolean silent;
        volatile boolean unreachable;

        Device(String id, TrpFault fault, List<Gateway> gateways) {
            this.id = id;
            this.fault = fault;
            this.gateways = gateways;
        }

        Gateway gateway() {
            return gateways.get(current);
        }

        boolean loggedIn() {
            return gateway().keeper.loggedIn();
        }
    }

    private final Options options;
    private final char[] secret;
    private final Home home;
    private final List<String> ids;
    private final Map<String, TrpFault> faults;
    private final FleetBus bus;
    private final DeviceBus deviceBus;
    private final List<FleetTrp> trps = new ArrayList<>();
    private final List<Device> devices = new ArrayList<>();
    private final Map<String, Device> byId = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor workers;
    private final Semaphore logins;
    private final AtomicInteger checkingIn = new AtomicInteger();
    private final AtomicInteger delivering = new AtomicInteger();
    private final AtomicLong installed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong checkIns = new AtomicLong();
    private final AtomicLong failovers = new AtomicLong();
    private final List<Consumer<DeviceCheckIn.Result>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile String fatal;
    private volatile boolean closed;

    private FleetRunner(Options options) {
        this.options = options;
        this.secret = options.secret().clone();
        this.home = Home.at(options.home());
        this.ids = FleetDevices.ids(options.prefix(), options.devices());
        this.faults = options.faults().assign(ids);
        List<String> missing = ids.stream().filter(d -> !TrpIdentityStore.isManufactured(home, d)).limit(3).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("TRP " + missing.get(0) + " of this fleet is not manufactured in "
                    + home.root() + ": run './progdist fleet provision --prefix " + options.prefix() + " --devices "
                    + options.devices() + " --owner " + options.user() + "' first");
        }
        this.bus = new FleetBus(home, home.root().resolve("fleet").resolve(options.prefix()).resolve("bus"),
                options.maxMessageBytes(), options.workers() + 4, options.busRequestTimeout(),
                options.busStepTimeout());
        this.deviceBus = new DeviceBus(bus.transport(), d -> { });
        this.workers = new ScheduledThreadPoolExecutor(options.workers(), daemonThreads("progdist-fleet-worker"));
        this.workers.setRemoveOnCancelPolicy(true);
        this.logins = new Semaphore(options.maxConcurrentLogins());
    }

    /**
     * Starts the fleet: the bus, every TRP on it, and the devices' check-ins. The first device
     * logs in before this returns, so that a wrong secret or an unknown user fails here, in one
     * clear exception; a server that is not reachable yet or busy is not an error (devices log in
     * when it answers).
     *
     * @throws IllegalArgumentException when TRPs are missing (not provisioned) or options are wrong
     * @throws FirstPathException       when the server refuses the user's login
     */
    public static FleetRunner start(Options options) {
        FleetRunner fleet = new FleetRunner(options);
        try {
            fleet.startAll();
            return fleet;
        } catch (RuntimeException | Error e) {
            fleet.close();
            throw e;
        }
    }

    private void startAll() {
        long t0 = System.nanoTime();
        if (!faults.isEmpty()) {
            LOG.warn("Fleet {}: simulated faults on {} device(s): {}", options.prefix(), faults.size(),
                    FaultPlan.describe(faults));
        }
        bus.addDevices(ids);
        bus.startGateway();
        // the TRPs connect in parallel: each is a login to the bus and a queue to create
        ExecutorService connect = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                daemonThreads("progdist-fleet-connect"));
        try {
            List<java.util.concurrent.Future<FleetTrp>> started = new ArrayList<>();
            for (String id : ids) {
                TrpFaults f = faults.containsKey(id) ? new TrpFaults(faults.get(id), options.slowDelay()) : TrpFaults.NONE;
                started.add(connect.submit(() -> new FleetTrp(home, id, f, bus)));
            }
            for (var s : started) {
                try {
                    trps.add(s.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("a TRP of the fleet cannot connect to its device bus: "
                            + e.getCause().getMessage(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while starting the fleet", e);
                }
            }
        } finally {
            connect.shutdownNow();
        }
        Path trust = options.trustCa() != null ? options.trustCa() : home.distributionCaCertificate();
        List<FirstPathClient> clients = options.servers().stream()
                .map(s -> new FirstPathClient(s, trust, options.httpTimeout())).toList();
        for (int i = 0; i < ids.size(); i++) {
            List<Gateway> gateways = new ArrayList<>(clients.size());
            for (int k = 0; k < clients.size(); k++) {
                gateways.add(new Gateway(clients.get((i + k) % clients.size()), deviceBus));
            }
            Device d = new Device(ids.get(i), faults.get(ids.get(i)), List.copyOf(gateways));
            devices.add(d);
            byId.put(d.id, d);
        }
        LOG.info("Fleet {}: {} TRPs on the device bus in {} ms; {} device session(s) for {} at {}",
                options.prefix(), trps.size(), (System.nanoTime() - t0) / 1_000_000, devices.size(), options.user(),
                options.servers());
        Device first = devices.get(0);
        try {
            first.gateway().keeper.session();
        } catch (FirstPathException e) {
            if (e.status() != 0 && e.status() < 500) {
                throw e; // a refusal of this user: every device would get it
            }
            first.unreachable = true;
            LOG.warn("Fleet {}: the server is not reachable or busy ({}); devices log in when it answers",
                    options.prefix(), e.getMessage());
        }
        long periodMillis = options.checkInPeriod().toMillis();
        for (Device d : devices) {
            workers.schedule(() -> run(d), ThreadLocalRandom.current().nextLong(periodMillis), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * One turn of one device: log in if needed (a few at a time), check in, schedule the next
     * turn. A server that cannot be reached (no connection, or the connection lost mid-delivery)
     * makes the device move to its next server ({@link #failOver}).
     */
    private void run(Device d) {
        if (closed || d.silent || fatal != null) {
            return;
        }
        long next = jittered(options.checkInPeriod().toMillis());
        Gateway g = d.gateway();
        try {
            if (!g.keeper.loggedIn()) {
                if (!logins.tryAcquire()) {
                    schedule(d, 200 + ThreadLocalRandom.current().nextLong(800)); // others are logging in: soon again
                    return;
                }
                try {
                    g.keeper.session();
                    d.unreachable = false;
                } finally {
                    logins.release();
                }
            } else {
                g.keeper.renewIfDue();
            }
            checkingIn.incrementAndGet();
            DeviceCheckIn.Result r;
            try {
                r = g.checkIn.checkIn(d.id);
            } finally {
                checkingIn.decrementAndGet();
            }
            record(d, r);
            if (d.silent) {
                return;
            }
            if (unreachable(r) && failOver(d, g, r.detail())) {
                next = soon();
            } else if (r.checkInAfter() != null && r.checkInAfter().toMillis() > options.checkInPeriod().toMillis()) {
                next = jittered(r.checkInAfter().toMillis());
            }
        } catch (FirstPathException e) {
            d.unreachable = true;
            if (e.problem() == ProblemType.BAD_CREDENTIALS || e.problem() == ProblemType.ACCOUNT_DISABLED
                    || e.problem() == ProblemType.ACCOUNT_LOCKED) {
                fatal = "the server refuses the login of " + options.user() + ": " + e.getMessage();
                LOG.error("Fleet {}: {}; no device logs in again", options.prefix(), fatal);
                return;
            }
            if (e.problem() == ProblemType.TOO_MANY_SESSIONS) {
                LOG.warn("Fleet {}: device {} cannot log in: {} (the server must allow {} sessions for {}: "
                        + "progdist.auth.max-sessions-per-user)", options.prefix(), d.id, e.getMessage(),
                        options.devices(), options.user());
            } else {
                LOG.debug("Fleet {}: device {} cannot log in: {}", options.prefix(), d.id, e.getMessage());
            }
            if (e.status() == 0 && failOver(d, g, e.getMessage())) {
                next = soon();
            }
        } catch (RuntimeException e) {
            LOG.warn("Fleet {}: device {}'s check-in failed: {}", options.prefix(), d.id, e.toString());
        }
        schedule(d, next);
    }

    /**
     * The server could not be reached: no connection, or the connection was lost (also in the
     * middle of a delivery). Not a refusal, not a busy server that answered with a problem.
     */
    private static boolean unreachable(DeviceCheckIn.Result r) {
        return r.outcome() == DeviceCheckIn.Outcome.UNREACHABLE
                || (r.outcome() == DeviceCheckIn.Outcome.FAILED && "server-unreachable".equals(r.code()));
    }

    /**
     * Moves {@code d} from {@code from} (the gateway that could not reach its server) to its next
     * server, where it logs in again and checks in at its next turn; the server there offers the
     * assignment again once the lost delivery has been failed ({@code server-lost}) and retried.
     *
     * @return false when there is no other server (the device asks the same one again)
     */
    private boolean failOver(Device d, Gateway from, String why) {
        int k = d.gateways.size();
        if (k < 2 || d.gateway() != from) {
            return false;
        }
        int to = (d.current + 1) % k;
        d.current = to;
        failovers.incrementAndGet();
        LOG.info("Fleet {}: device {} cannot reach {} ({}); moving to {}", options.prefix(), d.id,
                from.client.server(), why == null ? "no answer" : oneLine(why), d.gateways.get(to).client.server());
        return true;
    }

    /** A little later, spread so that the devices of a lost server do not all log in at once elsewhere. */
    private static long soon() {
        return 100 + ThreadLocalRandom.current().nextLong(900);
    }

    private static String oneLine(String s) {
        String clean = s.replaceAll("\\p{Cntrl}", " ");
        return clean.length() > 200 ? clean.substring(0, 200) + "…" : clean;
    }

    private void record(Device d, DeviceCheckIn.Result r) {
        switch (r.outcome()) {
            case INSTALLED -> installed.incrementAndGet();
            case FAILED -> failed.incrementAndGet();
            case TRP_SILENT -> {
                failed.incrementAndGet();
                if (d.fault == TrpFault.VANISH) {
                    d.silent = true; // the gateway goes silent for this device too
                    LOG.info("Fleet {}: device {} vanished mid-delivery (fault vanish): no more check-ins",
                            options.prefix(), d.id);
                }
            }
            default -> { }
        }
        d.unreachable = r.outcome() == DeviceCheckIn.Outcome.UNREACHABLE || r.outcome() == DeviceCheckIn.Outcome.REFUSED;
        if (r.outcome() != DeviceCheckIn.Outcome.UNREACHABLE && r.outcome() != DeviceCheckIn.Outcome.IN_PROGRESS) {
            checkIns.incrementAndGet();
        }
        for (Consumer<DeviceCheckIn.Result> l : listeners) {
            try {
                l.accept(r);
            } catch (RuntimeException e) {
                LOG.warn("A fleet listener failed: {}", e.toString());
            }
        }
    }

    private void schedule(Device d, long millis) {
        if (!closed) {
            try {
                workers.schedule(() -> run(d), millis, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // closed meanwhile
            }
        }
    }

    /** {@code millis} ±20 %, so that devices that started together drift apart. */
    private static long jittered(long millis) {
        return millis * 8 / 10 + ThreadLocalRandom.current().nextLong(millis * 4 / 10 + 1);
    }

    /** Sees every check-in's result (on a worker thread; keep it short). */
    public void onResult(Consumer<DeviceCheckIn.Result> listener) {
        listeners.add(listener);
    }

    /** The fleet's device IDs, in order. */
    public List<String> devices() {
        return ids;
    }

    /** Which device shows which fault. */
    public Map<String, TrpFault> faults() {
        return faults;
    }

    /** The gateway's view of the shared device bus: ask any TRP of the fleet for its status. */
    public DeviceBus bus() {
        return deviceBus;
    }

    /** Why the fleet gave up (the server refused the user's login), or {@code null} while it runs. */
    public String failure() {
        return fatal;
    }

    /** How many times a device moved to its next server because its own could not be reached. */
    public long failovers() {
        return failovers.get();
    }

    public FleetStatus status() {
        int loggedIn = 0;
        int silent = 0;
        int unreachable = 0;
        for (Device d : devices) {
            if (d.loggedIn()) {
                loggedIn++;
            }
            if (d.silent) {
                silent++;
            }
            if (d.unreachable) {
                unreachable++;
            }
        }
        return new FleetStatus(ids.size(), loggedIn, checkingIn.get(), delivering.get(), installed.get(), failed.get(),
                silent, unreachable, checkIns.get());
    }

    /**
     * Stops the check-ins (a delivery in progress is interrupted; the server's timeout and retry
     * rules see to it), logs every session out, closes the TRPs, the bus and its broker. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        workers.shutdownNow();
        try {
            if (!workers.awaitTermination(15, TimeUnit.SECONDS)) {
                LOG.warn("Fleet {}: some check-ins did not end within 15 s", options.prefix());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ExecutorService logout = Executors.newFixedThreadPool(8, daemonThreads("progdist-fleet-logout"));
        for (Device d : devices) {
            for (Gateway g : d.gateways) {
                if (g.keeper.loggedIn()) {
                    logout.submit(g.keeper::close);
                }
            }
        }
        logout.shutdown();
        try {
            if (!logout.awaitTermination(30, TimeUnit.SECONDS)) {
                logout.shutdownNow();
                LOG.warn("Fleet {}: not every session was logged out within 30 s (they expire on the server)",
                        options.prefix());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (FleetTrp t : trps) {
            t.close();
        }
        bus.close();
        Arrays.fill(secret, '\0');
        LOG.info("Fleet {} stopped", options.prefix());
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
