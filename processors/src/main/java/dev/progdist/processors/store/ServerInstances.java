package dev.progdist.processors.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The running server instances ({@code server_instances}): each instance has a new random ID per
 * start, {@link #register registers} it and {@link #heartbeat heartbeats} while it runs. An instance
 * whose heartbeat is older than the lease is lost (killed, crashed, its machine gone): the
 * unfinished deliveries it ran are failed by whichever instance notices
 * ({@code DeliveryLedger.failLost}). No leader: every instance checks, the database decides.
 */
public final class ServerInstances {

    private final Database database;
    private final Clock clock;
    private final String instanceId;

    /** This process's instance, with a new random ID (not yet registered). */
    public ServerInstances(Database database, Clock clock) {
        this(database, clock, UUID.randomUUID().toString());
    }

    public ServerInstances(Database database, Clock clock, String instanceId) {
        this.database = Objects.requireNonNull(database, "database");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
    }

    /** This instance's ID: what {@code deliveries.instance_id} names. */
    public String instanceId() {
        return instanceId;
    }

    /** Records this instance as started and alive now. */
    public void register() {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO server_instances (instance_id, started_at, heartbeat_at) VALUES (?, ?, ?)")) {
            ps.setString(1, instanceId);
            ps.setObject(2, Database.timestamp(clock.instant()));
            ps.setObject(3, Database.timestamp(clock.instant()));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot register server instance", e);
        }
    }

    /** This instance is alive now (registers it again if its row was removed). */
    public void heartbeat() {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement(
                        "UPDATE server_instances SET heartbeat_at = ? WHERE instance_id = ?")) {
            ps.setObject(1, Database.timestamp(clock.instant()));
            ps.setString(2, instanceId);
            if (ps.executeUpdate() == 1) {
                return;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot record server heartbeat", e);
        }
        register();
    }

    /** The instances whose last heartbeat is older than {@code lease}: lost. */
    public List<String> lost(Duration lease) {
        return ids("SELECT instance_id FROM server_instances WHERE heartbeat_at < ? ORDER BY instance_id", lease);
    }

    /** The instances that heartbeated within {@code lease}: alive (this one, once registered). */
    public List<String> live(Duration lease) {
        return ids("SELECT instance_id FROM server_instances WHERE heartbeat_at >= ? ORDER BY instance_id", lease);
    }

    /** Removes this instance's row (a clean stop): its unfinished deliveries count as lost at once. */
    public void deregister() {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM server_instances WHERE instance_id = ?")) {
            ps.setString(1, instanceId);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot deregister server instance", e);
        }
    }

    /**
     * Deletes the rows of instances lost for longer than {@code keep} that no unfinished delivery
     * names any more (housekeeping; an instance that is only lost still counts as one).
     */
    public int forget(Duration keep) {
        try (Connection c = database.connection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM server_instances WHERE heartbeat_at < ? "
                        + "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.instance_id = server_instances.instance_id "
                        + "AND d.outcome IN ('requested', 'sending'))")) {
            ps.setObject(1, Database.timestamp(clock.instant().minus(keep)));
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot forget server instances", e);
        }
    }

    private List<String> ids(String sql, Duration lease) {
        try (Connection c = database.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, Database.timestamp(clock.instant().minus(lease)));
            ps.setMaxRows(10_000);
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot read server instances", e);
        }
    }
}
