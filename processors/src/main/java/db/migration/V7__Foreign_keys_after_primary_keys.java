package db.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Declares again, by name and after the primary key, the foreign keys on the first column of a
 * composite primary key ({@code rollout_assignments}, {@code rollout_groups}, {@code entitlements},
 * {@code device_tags}); on H2 it also gives {@code rollout_assignments.rollout_id} the selectivity 1.
 *
 * <p>Why: H2 indexes such a foreign key's column alone, and its planner, finding one assignment by
 * {@code WHERE rollout_id = ? AND device_id = ?}, could take that index instead of the primary key
 * and read every assignment of the rollout (EXPLAIN ANALYZE: 1,001 rows read for one, at 1,000
 * devices; the check-in's offer did so). It did whenever the two indexes cost the same to it: with
 * the default selectivity (50) that every column has until H2's first automatic ANALYZE of the table
 * (after 2,000 changed rows), and the foreign key's index listed first (always, once the database is
 * opened again). A plan made then also stays in H2's per-connection statement cache after the
 * ANALYZE, which does not invalidate plans, so the first rollouts on a new database paid for it
 * throughout. Selectivity 1 is what the first ANALYZE measures anyway (a rollout has many
 * assignments). Declared after the primary key, the foreign keys also get stable names.
 * PostgreSQL creates no index for a foreign key and plans with statistics of its own.
 *
 * <p>Java rather than SQL because the constraints to drop have generated names, which differ between
 * the databases, and the selectivity is H2's own syntax.
 */
public class V7__Foreign_keys_after_primary_keys extends BaseJavaMigration {

    private record ForeignKey(String table, String column, String references, String onDelete) {
        String name() {
            return table + "_" + column + "_fk";
        }
    }

    private static final List<ForeignKey> KEYS = List.of(
            new ForeignKey("rollout_assignments", "rollout_id", "rollouts (rollout_id)", ""),
            new ForeignKey("rollout_groups", "rollout_id", "rollouts (rollout_id)", ""),
            new ForeignKey("entitlements", "user_id", "users (user_id)", ""),
            new ForeignKey("device_tags", "device_id", "devices (device_id)", " ON DELETE CASCADE"));

    @Override
    public void migrate(Context context) throws SQLException {
        Connection c = context.getConnection();
        try (Statement s = c.createStatement()) {
            for (ForeignKey key : KEYS) {
                s.execute("ALTER TABLE " + key.table() + " DROP CONSTRAINT " + quoted(foreignKey(c, key.table())));
                s.execute("ALTER TABLE " + key.table() + " ADD CONSTRAINT " + key.name() + " FOREIGN KEY ("
                        + key.column() + ") REFERENCES " + key.references() + key.onDelete());
            }
            if ("H2".equals(c.getMetaData().getDatabaseProductName())) {
                s.execute("ALTER TABLE rollout_assignments ALTER COLUMN rollout_id SELECTIVITY 1");
            }
        }
    }

    /** The name of {@code table}'s one foreign key (each of these tables has exactly one, from V1–V6). */
    private static String foreignKey(Connection c, String table) throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement q = c.prepareStatement("SELECT constraint_name FROM information_schema.table_constraints"
                + " WHERE constraint_type = 'FOREIGN KEY' AND table_schema = current_schema"
                + " AND LOWER(table_name) = ?")) {
            q.setString(1, table.toLowerCase(Locale.ROOT));
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        if (names.size() != 1) {
            throw new SQLException("expected one foreign key on " + table + ", found " + names);
        }
        return names.get(0);
    }

    private static String quoted(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
