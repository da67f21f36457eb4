package dev.progdist.processors.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.protocol.json.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RolloutEventsTest {

    @TempDir
    Path dir;
    RolloutFixture f;

    @BeforeEach
    void open() throws Exception {
        f = fixture();
    }

    /** The H2 file database; the PostgreSQL variant runs the same tests on the production database. */
    RolloutFixture fixture() throws Exception {
        return new RolloutFixture(dir, null);
    }

    @AfterEach
    void close() throws Exception {
        f.close();
    }

    private static JsonNode json(String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String line(JsonNode e) {
        return e.get("type").asText() + " " + (e.get("group").isNull() ? "-" : e.get("group").asText()) + " "
                + (e.get("deviceId").isNull() ? "-" : e.get("deviceId").asText()) + " "
                + (e.get("from").isNull() ? "-" : e.get("from").asText()) + ">" + e.get("to").asText()
                + (e.get("reason").isNull() ? "" : " " + e.get("reason").asText());
    }

    @Test
    void everyChangeIsAnEventPublishedInOrder() {
        f.devices("d", 1);
        RolloutView v = f.create(new RolloutFixture.Req());
        f.scheduler.tick();
        f.deliver("d-001", true, null);
        f.scheduler.tick();
        List<JsonNode> events = f.drainEvents().stream().map(RolloutEventsTest::json).toList();
        assertThat(events).extracting(RolloutEventsTest::line).containsExactly(
                "rollout - - ->creating",
                "group 1 - ->scheduled",
                "rollout - - creating>running",
                "group 1 - scheduled>running",
                "assignment 1 d-001 scheduled>offered",
                "assignment 1 d-001 offered>delivering",
                "assignment 1 d-001 delivering>installed",
                "group 1 - running>finished",
                "rollout - - running>finished");
        List<Long> ids = events.stream().map(e -> e.get("id").asLong()).toList();
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        assertThat(events).allSatisfy(e -> {
            assertThat(e.get("rolloutId").asText()).isEqualTo(v.id());
            assertThat(e.get("at").asText()).isEqualTo(f.clock.instant().toString());
        });
        assertThat(f.events.pending()).isZero();
    }

    @Test
    void aRefusedActionWritesNoEvent() {
        f.configure(f.settings.withApproval(true));
        f.devices("d", 1);
        RolloutView v = f.create(new RolloutFixture.Req());
        f.drainEvents();
        assertThatThrownBy(() -> f.rollouts.approve(v.id(), "olga", null)).isInstanceOf(RolloutException.class);
        assertThat(f.events.pending()).isZero();
        assertThat(f.view(v.id()).decidedBy()).isNull();
    }

    @Test
    void aSendFailureStopsTheBatchAndKeepsTheRestInOrder() {
        f.devices("d", 3);
        f.create(new RolloutFixture.Req());
        f.create(new RolloutFixture.Req());
        long pending = f.events.pending();
        assertThat(pending).isGreaterThan(3);
        List<String> sent = new ArrayList<>();
        int n = f.events.publishPending(body -> {
            if (sent.size() == 2) {
                throw new IllegalStateException("broker down");
            }
            sent.add(body);
        });
        assertThat(n).isEqualTo(2);
        assertThat(f.events.pending()).isEqualTo(pending - 2);
        List<String> rest = f.drainEvents();
        assertThat(rest).hasSize((int) pending - 2);
        long last = json(sent.get(1)).get("id").asLong();
        assertThat(json(rest.get(0)).get("id").asLong()).isGreaterThan(last);
    }
}
