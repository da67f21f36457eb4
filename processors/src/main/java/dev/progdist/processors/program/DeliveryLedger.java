package dev.progdist.processors.program;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The ledger of deliveries ({@code deliveries}): one row per attempt to deliver a program to a
 * device, from the request to its end.
 *
 * <pre>
 * requested ──sending()──► sending ──installed()──► installed
 *     │                       │
 *     └──────failed()─────────┴──────────────────► failed
 * </pre>
 *
 * Every transition is one {@code UPDATE ... WHERE outcome = ...}, so two concurrent transitions
 * of one row cannot both win and a finished row ({@code installed} or {@code failed}) never
 * changes again. The transitions that finish a row call the {@link DeliverySettlement} inside their
 * transaction, so what follows from the outcome (a rollout assignment) commits with it or not at all.
 *
 * <p>Each row names the server instance that runs it ({@code instance_id}) and, once linked, its
 * rollout. {@link #failLost} fails the unfinished rows of instances that stopped heartbeating
 * ({@code server-lost}), so that no row stays {@code sending} after a crash.
 */
public class DeliveryLedger {

    /** One delivery. {@code mode} is the requested mode until {@code sending}, then the mode used. */
    public record Delivery(String deliveryId, String sessionId, String userId, String deviceId, String programId,
            String requestedVersion, String version, String mode, String programSha256, String envelopeSha256,
            Long envelopeSize, String serverNonce, String outcome, String reasonCode, String reasonDetail,
            Instant requestedAt, Instant finishedAt, String instanceId, String rolloutId) {
    }

    /** Longest {@code reason_detail} kept; longer details are cut. */
    public static final int MAX_DETAIL = 1000;

    private static final String COLUMNS = "delivery_id, session_id, user_id, device_id, program_id, "
            + "requested_version, version, mode, program_sha256, envelope_sha256, envelope_size, server_nonce, "
            + "outcome, reason_code, reason_detail, requested_at, finished_at, instance_id, rollout_id";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DeliveryLedger.class);

    /** Rows {@link #failLost} reads per query. */
    private static final int LOST_BATCH = 200;

    private final Database database;
    private final Clock clock;
    private final String instanceId;
    private final DeliverySettlement settlement;

    /**
     * A ledger for tools and tests: its rows name no instance (as rows from before instances were
     * recorded), which {@link #failLost} treats as lost; no settlement. A server uses the other constructor.
     */
    public DeliveryLedger(Database database, Clock clock) {
        this(database, clock, null, DeliverySettlement.NONE);
    }

    /**
     * @param instanceId this server instance ({@code ServerInstances.instanceId()}), recorded on every row it opens
     * @param settlement called inside the transaction that finishes a row ({@link DeliverySettlement#NONE}: nothing follows)
     */
    public DeliveryLedger(Database database, Clock clock, String instanceId, DeliverySettlement settlement) {
        this.database = database;
        this.clock = clock;
        this.instanceId = instanceId;
        this.settlement = java.util.Objects.requireNonNull(settlement, "settlement");
    }

    /** Records a new request (outcome {@code requested}) and returns its delivery ID (a random UUID). */
    public String open(String sessionId, String userId, String deviceId, String programId, String requestedVersion,
            String requestedMode) {
        String id = UUID.randomUUID().toString();
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO deliveries (delivery_id, session_id, user_id, "
                        + "device_id, program_id, requested_version, mode, outcome, requested_at, instance_id) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, 'requested', ?, ?)")) {
            ps.setString(1, id);
            ps.setString(2, sessionId);
            ps.setString(3, userId);
            ps.setString(4, deviceId);
            ps.setString(5, programId);
            ps.setString(6, requestedVersion);
            ps.setString(7, requestedMode);
            ps.setObject(8, Database.timestamp(clock.instant()));
            ps.setString(9, instanceId);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot record delivery request", e);
        }
        return id;
    }

    /**
     * Names the rollout an unfinished delivery serves (program request, once the rollout claimed it).
     *
     * @throws IllegalStateException if the delivery is not {@code requested}
     */
    public void linkRollout(String deliveryId, String rolloutId) {
        int n = update("UPDATE deliveries SET rollout_id = ? WHERE delivery_id = ? AND outcome = 'requested'", ps -> {
            ps.setString(1, rolloutId);
            ps.setString(2, deliveryId);
        });
        if (n != 1) {
            throw notIn(deliveryId, "requested");
        }
    }

    /**
     * {@code requested} → {@code sending}: the version, mode and sizes chosen for the envelope.
     *
     * @throws IllegalStateException if the delivery is not {@code requested}
     */
    public void sending(String deliveryId, String version, String mode, String programSha256, long envelopeSize,
            String serverNonce) {
        int n = update("UPDATE deliveries SET outcome = 'sending', version = ?, mode = ?, program_sha256 = ?, "
                + "envelope_size = ?, server_nonce = ? WHERE delivery_id = ? AND outcome = 'requested'", ps -> {
                    ps.setString(1, version);
                    ps.setString(2, mode);
                    ps.setString(3, programSha256);
                    ps.setLong(4, envelopeSize);
                    ps.setString(5, serverNonce);
                    ps.setString(6, deliveryId);
                });
        if (n != 1) {
            throw notIn(deliveryId, "requested");
        }
    }

    /**
     * {@code sending} → {@code installed}, with the TRP's receipt; sets {@code finished_at}.
     *
     * @throws IllegalStateException if the delivery is not {@code sending}
     */
    public void installed(String deliveryId, String envelopeSha256, String receiptSignature) {
        int n = finish(deliveryId, true, null, null, "UPDATE deliveries SET outcome = 'installed', "
                + "envelope_sha256 = ?, receipt_signature = ?, finished_at = ? WHERE delivery_id = ? AND outcome = 'sending'", ps -> {
                    ps.setString(1, envelopeSha256);
                    ps.setString(2, receiptSignature);
                    ps.setObject(3, Database.timestamp(clock.instant()));
                    ps.setString(4, deliveryId);
                });
        if (n != 1) {
            throw notIn(deliveryId, "sending");
        }
    }

    /**
     * Any unfinished delivery → {@code failed} with a reason ({@code code} cut to the column's 64
     * characters, as the channel log does: a TRP's 64-character code arrives as {@code trp-<code>};
     * {@code detail} cut to {@value #MAX_DETAIL} characters); sets {@code finished_at}. A finished or unknown delivery is
     * left as it is (and the settlement is not called).
     */
    public void failed(String deliveryId, String code, String detail) {
        finish(deliveryId, false, Database.cut(code, 64), Database.cut(detail, MAX_DETAIL),
                "UPDATE deliveries SET outcome = 'failed', reason_code = ?, reason_detail = ?, finished_at = ? "
                        + "WHERE delivery_id = ? AND outcome IN ('requested', 'sending')", ps -> {
                    ps.setString(1, Database.cut(code, 64));
                    ps.setString(2, Database.cut(detail, MAX_DETAIL));
                    ps.setObject(3, Database.timestamp(clock.instant()));
                    ps.setString(4, deliveryId);
                });
    }

    /**
     * Fails every unfinished ({@code requested} or {@code sending}) delivery whose instance is lost:
     * its heartbeat is older than {@code lease}, it has no {@code server_instances} row, or the row
     * names no instance (from before instances were recorded). Reason {@code server-lost}; each row
     * in its own transaction with its settlement. Safe to run on several instances at once: a row
     * is failed, and settled, once.
     *
     * @return how many deliveries were failed
     */
    public int failLost(Duration lease) {
        String lost = " outcome IN ('requested', 'sending') AND (instance_id IS NULL OR instance_id NOT IN "
                + "(SELECT instance_id FROM server_instances WHERE heartbeat_at >= ?))";
        int failed = 0;
        String after = "";
        while (true) {
            List<String[]> batch = new ArrayList<>();
            OffsetDateTime cutoff = Database.timestamp(clock.instant().minus(lease));
            try (Connection c = database.connection();
                    PreparedStatement ps = c.prepareStatement("SELECT delivery_id, instance_id FROM deliveries WHERE"
                            + lost + " AND delivery_id > ? ORDER BY delivery_id")) {
                ps.setObject(1, cutoff);
                ps.setString(2, after);
                ps.setMaxRows(LOST_BATCH);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        batch.add(new String[] {rs.getString(1), rs.getString(2)});
                    }
                }
            } catch (SQLException e) {
                throw new StoreException("cannot read unfinished deliveries", e);
            }
            for (String[] row : batch) {
                String detail = row[1] == null
                        ? "the delivery was left unfinished by a server from before instances were recorded"
                        : "server instance " + row[1] + " stopped without finishing the delivery";
                try {
                    failed += finish(row[0], false, "server-lost", detail,
                            "UPDATE deliveries SET outcome = 'failed', reason_code = ?, reason_detail = ?, "
                                    + "finished_at = ? WHERE delivery_id = ? AND" + lost, ps -> {
                                        ps.setString(1, "server-lost");
                                        ps.setString(2, detail);
                                        ps.setObject(3, Database.timestamp(clock.instant()));
                                        ps.setString(4, row[0]);
                                        ps.setObject(5, cutoff);
                                    });
                } catch (StoreException e) {
                    // one row's trouble (its settlement) must not keep the others unfinished
                    LOG.warn("Cannot fail lost delivery {}: {}", row[0], e.toString());
                }
            }
            if (batch.size() < LOST_BATCH) {
                return failed;
            }
            after = batch.get(batch.size() - 1)[0];
        }
    }

    public Optional<Delivery> find(String deliveryId) {
        List<Delivery> found = query(" WHERE delivery_id = ?", List.of(deliveryId), 1);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /**
     * The latest {@code installed} delivery of exactly {@code programId} {@code version} to the
     * device: TRP-signed evidence (a receipt the server verified) that the device holds it.
     */
    public Optional<Delivery> installedDelivery(String deviceId, String programId, String version) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM deliveries WHERE device_id = ? "
                        + "AND program_id = ? AND version = ? AND outcome = 'installed' ORDER BY finished_at DESC")) {
            ps.setString(1, deviceId);
            ps.setString(2, programId);
            ps.setString(3, version);
            ps.setMaxRows(1);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read deliveries", e);
        }
    }

    /** Deliveries matching every non-null filter, newest request first, at most {@code limit}. */
    public List<Delivery> list(String deviceId, String programId, String userId, int limit) {
        StringBuilder where = new StringBuilder();
        List<String> args = new ArrayList<>();
        filter(where, args, "device_id", deviceId);
        filter(where, args, "program_id", programId);
        filter(where, args, "user_id", userId);
        return query(where + " ORDER BY requested_at DESC, delivery_id", args, limit);
    }

    private static void filter(StringBuilder where, List<String> args, String column, String value) {
        if (value != null) {
            where.append(args.isEmpty() ? " WHERE " : " AND ").append(column).append(" = ?");
            args.add(value);
        }
    }

    private List<Delivery> query(String tail, List<String> args, int limit) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM deliveries" + tail)) {
            for (int i = 0; i < args.size(); i++) {
                ps.setString(i + 1, args.get(i));
            }
            ps.setMaxRows(Math.max(1, limit));
            List<Delivery> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot read deliveries", e);
        }
    }

    private static Delivery row(ResultSet rs) throws SQLException {
        long size = rs.getLong(11);
        Long envelopeSize = rs.wasNull() ? null : size;
        OffsetDateTime finished = rs.getObject(17, OffsetDateTime.class);
        return new Delivery(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), envelopeSize,
                rs.getString(12), rs.getString(13), rs.getString(14), rs.getString(15),
                rs.getObject(16, OffsetDateTime.class).toInstant(), finished == null ? null : finished.toInstant(),
                rs.getString(18), rs.getString(19));
    }

    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private int update(String sql, Binder binder) {
        try (Connection c = database.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot update delivery", e);
        }
    }

    /**
     * One finishing transition and its settlement in one transaction: the settlement runs only if
     * the update changed the row. Returns the update count.
     */
    private int finish(String deliveryId, boolean installed, String code, String detail, String sql, Binder binder) {
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            try {
                int n;
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    binder.bind(ps);
                    n = ps.executeUpdate();
                }
                if (n == 1) {
                    settlement.settled(c, deliveryId, installed, code, detail);
                }
                c.commit();
                return n;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot finish delivery", e);
        }
    }

    private IllegalStateException notIn(String deliveryId, String expected) {
        String actual = find(deliveryId).map(Delivery::outcome).orElse("unknown");
        return new IllegalStateException("delivery " + deliveryId + " is " + actual + ", not " + expected);
    }
}
