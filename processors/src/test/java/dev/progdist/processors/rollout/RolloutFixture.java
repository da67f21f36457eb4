package dev.progdist.processors.rollout;

import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.SessionStore;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.pki.CertificateValidation;
import dev.progdist.processors.program.BlobStore;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.program.Entitlements;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.ProgramStatement;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A real H2 file database with users, devices, one published program, the rollout engine's three
 * parts on one {@link MutableClock}, and deliveries simulated the way the delivery stages run them:
 * a ledger row opened, claimed, and settled in the transaction that finishes the ledger row.
 */
final class RolloutFixture implements AutoCloseable {

    static final String PROGRAM = "editor";
    static final String VERSION = "1.0";

    final Database db;
    final MutableClock clock;
    final DeviceRegistry registry;
    final Entitlements entitlements;
    final ProgramCatalog catalog;
    final DeliveryLedger ledger;
    final UserDirectory users;
    final RolloutDeliveries deliveries;
    final RolloutEvents events;
    final SessionStore sessions;
    RolloutSettings settings;
    CertificateValidation validation;
    Rollouts rollouts;
    RolloutScheduler scheduler;

    RolloutFixture(Path dir, CertificateValidation validation) {
        this(dir, validation, new MutableClock(Instant.parse("2026-03-02T10:00:00Z")), RolloutSettings.defaults());
    }

    RolloutFixture(Path dir, CertificateValidation validation, MutableClock clock, RolloutSettings settings) {
        this(dev.progdist.processors.testing.TestDatabases.open(dir.resolve("db"), 6), dir, validation, clock, settings);
    }

    /** On a fresh PostgreSQL schema, dropped on {@link #close()}. */
    static RolloutFixture onPostgres(Path dir, dev.progdist.processors.testing.PostgresSchema schema,
            MutableClock clock) {
        RolloutFixture f = new RolloutFixture(schema.database(), dir, null, clock, RolloutSettings.defaults());
        f.schema = schema;
        return f;
    }

    private dev.progdist.processors.testing.PostgresSchema schema;

    RolloutFixture(Database db, Path dir, CertificateValidation validation, MutableClock clock,
            RolloutSettings settings) {
        this.db = db;
        this.clock = clock;
        this.registry = new DeviceRegistry(db, clock);
        this.entitlements = new Entitlements(db, clock);
        this.catalog = new ProgramCatalog(db, new BlobStore(dir.resolve("blobs")), clock);
        this.ledger = new DeliveryLedger(db, clock);
        this.users = new UserDirectory(db, new PasswordHasher(1024, 1, 1), clock);
        this.deliveries = new RolloutDeliveries(db, clock);
        this.events = new RolloutEvents(db, clock);
        this.sessions = new SessionStore(db, clock, Duration.ofMinutes(10), Duration.ofHours(1));
        this.validation = validation;
        configure(settings);
        publish(PROGRAM, VERSION);
        user("olga", Role.OPERATOR);
        user("oscar", Role.OPERATOR);
        user("alice", Role.USER);
        entitlements.grant(PROGRAM, "alice", "olga");
    }

    void configure(RolloutSettings s) {
        settings = s;
        rollouts = new Rollouts(db, clock, s, catalog, entitlements, validation, sessions);
        scheduler = new RolloutScheduler(db, clock, s, validation);
    }

    void user(String id, Role role) {
        users.addUser(id, "a-long-enough-secret".toCharArray(), role, false);
    }

    void publish(String id, String version) {
        byte[] content = (id + " " + version).getBytes(StandardCharsets.UTF_8);
        ProgramStatement statement = new ProgramStatement(id, version, Fingerprints.sha256(content), content.length);
        catalog.publish(statement, "c2ln", "f".repeat(64), EnvelopeMode.WRAPPED, "olga",
                new ByteArrayInputStream(content));
    }

    /** Registers {@code n} devices {@code prefix-001}… to alice, one second apart. */
    List<String> devices(String prefix, int n) {
        return devices(prefix, n, "alice");
    }

    List<String> devices(String prefix, int n, String owner) {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String id = String.format("%s-%03d", prefix, i);
            registry.register(id, owner, "olga");
            clock.advance(Duration.ofSeconds(1));
            ids.add(id);
        }
        return ids;
    }

    void tag(String deviceId, String tag) {
        sql("INSERT INTO device_tags (device_id, tag) VALUES (?, ?)", deviceId, tag);
    }

    static RolloutRequest.Targets all() {
        return new RolloutRequest.Targets(null, null, true);
    }

    static RolloutRequest.Targets filter(String f) {
        return new RolloutRequest.Targets(null, f, null);
    }

    static RolloutRequest.Targets list(List<String> ids) {
        return new RolloutRequest.Targets(ids, null, null);
    }

    static List<RolloutRequest.GroupSpec> percents(int... ps) {
        List<RolloutRequest.GroupSpec> out = new ArrayList<>();
        for (int p : ps) {
            out.add(new RolloutRequest.GroupSpec(p, null));
        }
        return out;
    }

    /** A request builder with everything optional left null. */
    static final class Req {
        String name;
        String programId = PROGRAM;
        String version = VERSION;
        String mode;
        RolloutRequest.Targets targets = all();
        List<RolloutRequest.GroupSpec> groups;
        Integer success;
        String onSuccess;
        String error;
        Integer security;
        String timeout;
        Integer retries;
        String backoff;
        String order;
        Long seed;
        String startAt;
        String window;
        String zone;
        Boolean dynamic;
        Boolean start = true;

        RolloutRequest build() {
            return new RolloutRequest(name, programId, version, mode, targets, groups, success, onSuccess, error,
                    security, timeout, retries, backoff, order, seed, startAt, window, zone, dynamic, null, start);
        }
    }

    RolloutView create(Req r) {
        return rollouts.create(r.build(), "olga");
    }

    // ---- deliveries as the delivery stages run them ----------------------------------------------

    /** A gateway's check-in and the TRP's fetch: the ledger row is opened and claimed; null when no offer. */
    String startDelivery(String deviceId) {
        Optional<Offer> offer = rollouts.checkIn("alice", deviceId);
        if (offer.isEmpty()) {
            return null;
        }
        String id = ledger.open("s-" + deviceId, "alice", deviceId, offer.get().programId(), offer.get().version(),
                offer.get().mode());
        if (deliveries.claim(deviceId, offer.get().programId(), offer.get().version(), id).isEmpty()) {
            ledger.failed(id, "internal-error", "not claimed");
            return null;
        }
        ledger.sending(id, offer.get().version(), offer.get().mode(), "a".repeat(64), 100, "nonce");
        return id;
    }

    /** The ledger row finishes and the settlement runs in the same transaction. */
    void finish(String deliveryId, boolean installed, String code) {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(installed
                    ? "UPDATE deliveries SET outcome = 'installed', envelope_sha256 = ?, receipt_signature = 'c2ln', "
                            + "finished_at = ? WHERE delivery_id = ? AND outcome = 'sending'"
                    : "UPDATE deliveries SET outcome = 'failed', reason_code = ?, finished_at = ? WHERE delivery_id = ? "
                            + "AND outcome IN ('requested', 'sending')")) {
                ps.setString(1, installed ? "b".repeat(64) : code);
                ps.setObject(2, Database.timestamp(clock.instant()));
                ps.setString(3, deliveryId);
                if (ps.executeUpdate() != 1) {
                    throw new IllegalStateException("delivery " + deliveryId + " is not unfinished");
                }
            }
            deliveries.settled(c, deliveryId, installed, code, installed ? null : "simulated " + code);
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Delivers to {@code deviceId} with the outcome; false if it got no offer. */
    boolean deliver(String deviceId, boolean installed, String code) {
        String id = startDelivery(deviceId);
        if (id == null) {
            return false;
        }
        finish(id, installed, code);
        return true;
    }

    // ---- reading ---------------------------------------------------------------------------------

    String state(String rolloutId, String deviceId) {
        return string("SELECT state FROM rollout_assignments WHERE rollout_id = ? AND device_id = ?", rolloutId,
                deviceId);
    }

    String reason(String rolloutId, String deviceId) {
        return string("SELECT reason_code FROM rollout_assignments WHERE rollout_id = ? AND device_id = ?", rolloutId,
                deviceId);
    }

    long count(String sql, Object... params) {
        try (Connection c = db.connection()) {
            return Engine.count(c, sql, params);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    String string(String sql, Object... params) {
        try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    void sql(String sql, Object... params) {
        try (Connection c = db.connection()) {
            Engine.update(c, sql, params);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every pending event body, published (and so removed) in order. */
    List<String> drainEvents() {
        List<String> out = new ArrayList<>();
        while (events.publishPending(out::add) > 0) {
            // until empty
        }
        return out;
    }

    RolloutView view(String id) {
        return rollouts.get(id);
    }

    @Override
    public void close() {
        try {
            assertKeptCountsMatch();
        } finally {
            closeDatabase();
        }
    }

    /**
     * Every rollout's per-group counts, as kept on the group rows in each state change's
     * transaction, equal a count over its assignments: checked when each test closes its fixture.
     */
    void assertKeptCountsMatch() {
        Engine engine = new Engine(db, clock, new Exclusion(validation, clock));
        engine.tx(c -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT rollout_id FROM rollouts");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            for (String id : ids) {
                var kept = engine.countsByGroup(c, id);
                var counted = engine.countedByGroup(c, id);
                if (!kept.equals(counted)) {
                    throw new AssertionError("rollout " + id + ": kept counts " + kept + " but its assignments count "
                            + counted);
                }
            }
            return null;
        });
    }

    private void closeDatabase() {
        if (schema != null) {
            try {
                schema.close();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        } else {
            db.close();
        }
    }
}
