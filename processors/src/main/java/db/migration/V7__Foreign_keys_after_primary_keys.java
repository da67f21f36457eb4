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
 * Declares again, by name and after the primary key, the foreign keys on the leading column of a
 * composite primary key ({@code rollout_assignments}, {@code rollout_groups}, {@code entitlements},
 * {@code device_tags}).
 *
 * <p>Why: declared on the column inside {@code CREATE TABLE}, such a foreign key makes H2 create an
 * index on that column alone <em>before</em> the primary key's index, and H2's planner then takes it
 * even for a lookup by the whole key ({@code WHERE rollout_id = ? AND device_id = ?}), reading every
 * row of the rollout (EXPLAIN ANALYZE: 1,001 rows read for one, at 1,000 devices). Added afterwards,
 * the foreign key's index comes second and the primary key wins. PostgreSQL creates no index for a
 * foreign key; there the migration only gives the constraints stable names.
 *
 * <p>Java rather than SQL because the constraints to drop have generated names, which differ between
 * the databases.
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
                for (String existing : foreignKeys(c, key.table())) {
                    s.execute("ALTER TABLE " + key.table() + " DROP CONSTRAINT " + quoted(existing));
                }
                s.execute("ALTER TABLE " + key.table() + " ADD CONSTRAINT " + key.name() + " FOREIGN KEY ("
                        + key.column() + ") REFERENCES " + key.references() + key.onDelete());
            }
        }
    }

    /** The names of {@code table}'s foreign keys (each of these tables has exactly one, from V1–V6). */
    private static List<String> foreignKeys(Connection c, String table) throws SQLException {
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
        return names;
    }

    private static String quoted(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
