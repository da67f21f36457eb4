package dev.progdist.processors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.Home;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * H2 finds a row of a table with a composite primary key by that key, not by the foreign-key index
 * on its first column (which read every assignment of a rollout per check-in before migration V7),
 * and the foreign keys V7 declared again still hold.
 */
class H2QueryPlansTest {

    @TempDir
    Path dir;

    private Database db;

    @BeforeEach
    void open() {
        db = Database.openHome(Home.at(dir), 2);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "UPDATE rollout_assignments SET attempts = attempts + 1 WHERE rollout_id = 'r' AND device_id = 'd'",
        "UPDATE rollout_assignments SET state = 'offered' WHERE rollout_id = 'r' AND device_id = 'd' AND state = 'scheduled'",
        "SELECT state FROM rollout_assignments WHERE rollout_id = 'r' AND device_id = 'd'",
        "SELECT status FROM rollout_groups WHERE rollout_id = 'r' AND group_no = 1",
        "UPDATE rollout_groups SET n_offered = n_offered + 1 WHERE rollout_id = 'r' AND group_no = 1",
        "SELECT granted_by FROM entitlements WHERE user_id = 'u' AND program_id = 'p'",
        "SELECT tag FROM device_tags WHERE device_id = 'd' AND tag = 't'"})
    void aLookupByTheWholeKeyUsesThePrimaryKey(String sql) throws SQLException {
        // planned on empty tables, as the first rollout's statements are (H2 keeps the plan)
        try (Connection c = db.connection(); Statement s = c.createStatement();
                ResultSet plan = s.executeQuery("EXPLAIN " + sql)) {
            plan.next();
            assertThat(plan.getString(1)).contains("PRIMARY_KEY").doesNotContain("CONSTRAINT_INDEX");
        }
    }

    /**
     * A new database before H2's first ANALYZE, opened again (as the server opens one that the CLI
     * made: H2 then loads the foreign key's index before the primary key's), as the first rollout
     * finds it: the check-in's offer reads the one assignment, not the rollout's 1,000.
     */
    @Test
    void theOfferOfOneAssignmentReadsOneRowOfAThousand() throws SQLException {
        db.close();
        db = Database.openHome(Home.at(dir), 2);
        try (Connection c = db.connection(); Statement s = c.createStatement()) {
            insertRunningRollout(s);
            s.execute("INSERT INTO rollout_assignments (rollout_id, device_id, group_no, position, state, updated_at)"
                    + " SELECT 'r', 'd-' || X, 1, X, 'scheduled', CURRENT_TIMESTAMP FROM SYSTEM_RANGE(1, 1000)");
            try (var explain = c.prepareStatement("EXPLAIN ANALYZE UPDATE rollout_assignments SET state = 'offered',"
                    + " offered_at = ?, updated_at = ? WHERE rollout_id = ? AND device_id = ? AND state = 'scheduled'")) {
                explain.setObject(1, java.time.OffsetDateTime.now());
                explain.setObject(2, java.time.OffsetDateTime.now());
                explain.setString(3, "r");
                explain.setString(4, "d-500");
                try (ResultSet plan = explain.executeQuery()) {
                    plan.next();
                    assertThat(plan.getString(1)).contains("PRIMARY_KEY").containsPattern("scanCount: [12] ");
                }
            }
        }
    }

    /**
     * The scheduler's timeout sweep (one state at a time, migration V8's index) reads the expired
     * assignments of a rollout, not all of them: here 3 of 1,000, on a database opened again.
     */
    @Test
    void theTimeoutSweepReadsTheExpiredAssignmentsOnly() throws SQLException {
        db.close();
        db = Database.openHome(Home.at(dir), 2);
        try (Connection c = db.connection(); Statement s = c.createStatement()) {
            insertRunningRollout(s);
            s.execute("INSERT INTO rollout_groups (rollout_id, group_no, status, success_threshold, error_threshold,"
                    + " error_threshold_kind) VALUES ('r', 1, 'running', 100, 0, 'count')");
            // 1,000 scheduled with a deadline an hour ahead, 3 of them an hour ago
            s.execute("INSERT INTO rollout_assignments (rollout_id, device_id, group_no, position, state, deadline_at,"
                    + " updated_at) SELECT 'r', 'd-' || X, 1, X, 'scheduled', DATEADD(HOUR, CASE WHEN X <= 3 THEN -1"
                    + " ELSE 1 END, CURRENT_TIMESTAMP), CURRENT_TIMESTAMP FROM SYSTEM_RANGE(1, 1000)");
            try (var explain = c.prepareStatement("EXPLAIN ANALYZE SELECT a.device_id, a.group_no, a.attempts FROM"
                    + " rollout_assignments a WHERE a.rollout_id = ? AND a.state = ? AND a.deadline_at < ? AND a.group_no"
                    + " IN (SELECT g.group_no FROM rollout_groups g WHERE g.rollout_id = a.rollout_id AND g.status ="
                    + " 'running') ORDER BY a.deadline_at, a.device_id FETCH FIRST 500 ROWS ONLY")) {
                explain.setString(1, "r");
                explain.setString(2, "scheduled");
                explain.setObject(3, java.time.OffsetDateTime.now());
                try (ResultSet plan = explain.executeQuery()) {
                    plan.next();
                    assertThat(plan.getString(1)).contains("ROLLOUT_ASSIGNMENTS_DEADLINE").containsPattern(
                            "scanCount: [34] ");
                }
            }
        }
    }

    /** Rollout {@code r}, running. */
    private static void insertRunningRollout(Statement s) throws SQLException {
        s.execute("INSERT INTO rollouts (rollout_id, program_id, version, mode, status, target_kind, group_spec,"
                + " target_order, success_threshold, on_success, error_threshold, error_threshold_kind,"
                + " security_threshold, device_timeout_seconds, retries, retry_backoff_seconds, dynamic_targets,"
                + " fresh_key_per_group, start_requested, created_by, created_at, updated_at) VALUES ('r', 'p', '1',"
                + " 'wrapped', 'running', 'all', '100', 'registration', 100, 'next', 0, 'count', 1, 60, 0, 1, FALSE,"
                + " FALSE, TRUE, 'ops', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)");
    }

    @Test
    void theForeignKeysStillHold() throws SQLException {
        try (Connection c = db.connection(); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.execute("INSERT INTO rollout_groups (rollout_id, group_no, status,"
                    + " success_threshold, error_threshold, error_threshold_kind) VALUES ('none', 1, 'scheduled', 100,"
                    + " 0, 'count')")).isInstanceOf(SQLException.class).hasMessageContaining("ROLLOUT_GROUPS_ROLLOUT_ID_FK");
            assertThatThrownBy(() -> s.execute("INSERT INTO entitlements VALUES ('nobody', 'p', 'ops', CURRENT_TIMESTAMP)"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("ENTITLEMENTS_USER_ID_FK");
            assertThatThrownBy(() -> s.execute("INSERT INTO device_tags VALUES ('none', 'beta')"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("DEVICE_TAGS_DEVICE_ID_FK");
        }
    }
}
