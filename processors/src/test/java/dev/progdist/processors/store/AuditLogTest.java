package dev.progdist.processors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.testing.MutableClock;
import dev.progdist.processors.testing.TestDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {

    @TempDir
    Path dir;

    private Database db;
    private MutableClock clock;
    private AuditLog audit;

    @BeforeEach
    void setUp() {
        db = TestDatabases.open(dir);
        clock = new MutableClock();
        audit = new AuditLog(db, clock);
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    record Row(OffsetDateTime at, String event, String actor, String subject, String detail) {
    }

    private List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        try (Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT at, event, actor, subject, detail FROM audit_events ORDER BY id");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(new Row(rs.getObject(1, OffsetDateTime.class), rs.getString(2), rs.getString(3),
                        rs.getString(4), rs.getString(5)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return rows;
    }

    @Test
    void recordsEventsInOrderWithTheClocksTime() {
        audit.record("login", "alice", "session:abc", null);
        clock.advance(Duration.ofSeconds(5));
        audit.record("login-failed", null, null, "bad credentials");
        List<Row> rows = rows();
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).at().toInstant()).isEqualTo(clock.instant().minusSeconds(5));
        assertThat(rows.get(0)).extracting(Row::event, Row::actor, Row::subject, Row::detail)
                .containsExactly("login", "alice", "session:abc", null);
        assertThat(rows.get(1)).extracting(Row::event, Row::actor, Row::subject, Row::detail)
                .containsExactly("login-failed", null, null, "bad credentials");
    }

    /** Over-long values (e.g. a hostile user ID in the subject) are cut, not a failed request. */
    @Test
    void overLongValuesAreCutToTheColumnSizes() {
        audit.record("e".repeat(100), "a".repeat(100), "s".repeat(1000), "d".repeat(10_000));
        Row row = rows().get(0);
        assertThat(row.event()).hasSize(64);
        assertThat(row.actor()).hasSize(64);
        assertThat(row.subject()).hasSize(128);
        assertThat(row.detail()).hasSize(512);
    }

    @Test
    void recordJsonReadsWhatAnAuditTrailQueues() {
        audit.recordJson("{\"event\":\"logout\",\"actor\":\"alice\",\"subject\":\"session:x\"}");
        audit.recordJson("{}");
        assertThat(rows()).extracting(Row::event, Row::actor, Row::subject, Row::detail).containsExactly(
                org.assertj.core.groups.Tuple.tuple("logout", "alice", "session:x", null),
                org.assertj.core.groups.Tuple.tuple("unknown", null, null, null));
    }

    @Test
    void malformedJsonEventIsRefused() {
        assertThatThrownBy(() -> audit.recordJson("not json")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> audit.recordJson("{} {}")).isInstanceOf(IllegalArgumentException.class);
        assertThat(rows()).isEmpty();
    }
}
