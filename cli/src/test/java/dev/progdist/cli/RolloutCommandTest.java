package dev.progdist.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.protocol.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rollout commands' own parts: the devices file, the watch's bars and its exit status. */
class RolloutCommandTest {

    @TempDir
    Path dir;

    @Test
    void aCsvDevicesFileGivesItsFirstColumnSkippingHeaderCommentsAndBlankLines() throws Exception {
        Path f = Files.writeString(dir.resolve("d.csv"), "deviceId,site\n# the canaries\nshop-1,berlin\n\n\"shop-2\";x\nshop-3\n");
        assertThat(RolloutCommand.readDevicesFile(f)).containsExactly("shop-1", "shop-2", "shop-3");
    }

    @Test
    void aJsonDevicesFileIsAnArrayOrAnObjectWithDevices() throws Exception {
        assertThat(RolloutCommand.readDevicesFile(Files.writeString(dir.resolve("a.json"), "[\"a-1\",\"a-2\"]")))
                .containsExactly("a-1", "a-2");
        assertThat(RolloutCommand.readDevicesFile(Files.writeString(dir.resolve("b.json"), "{\"devices\":[\"b-1\"]}")))
                .containsExactly("b-1");
    }

    @Test
    void everyMalformedLineIsNamedAndNothingIsSent() throws Exception {
        Path f = Files.writeString(dir.resolve("bad.csv"), "ok-1\nnot an id\nok-2\n../etc\n");
        assertThatThrownBy(() -> RolloutCommand.readDevicesFile(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 2 ('not an id')").hasMessageContaining("line 4 ('../etc')")
                .hasMessageNotContaining("line 1");
        Path json = Files.writeString(dir.resolve("bad.json"), "[\"ok\", 7, \"bad id\"]");
        assertThatThrownBy(() -> RolloutCommand.readDevicesFile(json)).hasMessageContaining("entry 2")
                .hasMessageContaining("entry 3");
        assertThatThrownBy(() -> RolloutCommand.readDevicesFile(Files.writeString(dir.resolve("e.csv"), "# none\n")))
                .hasMessageContaining("names no device");
        assertThatThrownBy(() -> RolloutCommand.readDevicesFile(dir.resolve("missing.csv")))
                .hasMessageContaining("cannot read");
    }

    @Test
    void watchDrawsABarPerGroupAndExitsByHowTheRolloutEnded() throws Exception {
        JsonNode running = Json.mapper().readTree("{\"id\":\"r-1\",\"status\":\"running\",\"groups\":["
                + "{\"group\":1,\"status\":\"finished\",\"size\":2,\"counts\":{\"installed\":2}},"
                + "{\"group\":2,\"status\":\"running\",\"size\":10,\"counts\":{\"installed\":4,\"failed\":1,\"excluded\":1}}],"
                + "\"counts\":{\"installed\":6,\"failed\":1,\"excluded\":1}}");
        String bars = RolloutWatch.render(running, 2.0);
        assertThat(bars).contains("group 1  finished  [" + "#".repeat(30) + "] 2/2 installed");
        assertThat(bars).contains("group 2  running   [" + "#".repeat(18) + ".".repeat(12)
                + "] 4/10 installed, 1 failed, 1 excluded, 2.0/s, ETA 2s");
        JsonNode paused = Json.mapper().readTree("{\"id\":\"r-1\",\"status\":\"paused\",\"reason\":\"error-threshold\","
                + "\"groups\":[],\"counts\":{}}");
        JsonNode finished = Json.mapper().readTree("{\"id\":\"r-1\",\"status\":\"finished\",\"groups\":[],\"counts\":{}}");
        AtomicInteger polls = new AtomicInteger();
        java.io.PrintStream out = new java.io.PrintStream(new java.io.ByteArrayOutputStream());
        assertThat(RolloutWatch.follow(() -> polls.getAndIncrement() == 0 ? running : finished, 100, out)).isZero();
        assertThat(polls.get()).isEqualTo(2);
        assertThat(RolloutWatch.follow(() -> paused, 100, out)).isEqualTo(RolloutCommand.EXIT_HALTED);
    }

    @Test
    void eachActionPostsToTheEndpointOfItsOwnName() {
        picocli.CommandLine rollout = ProgdistCli.commandLine().getSubcommands().get("rollout");
        for (String action : java.util.List.of("approve", "deny", "start", "pause", "resume", "stop",
                "trigger-next-group", "retry")) {
            picocli.CommandLine sub = rollout.getSubcommands().get(action);
            assertThat(sub).as(action).isNotNull();
            assertThat(((RolloutCommand.Action) sub.getCommand()).spec.name()).isEqualTo(action);
        }
    }

    @Test
    void aRolloutIdIsCheckedBeforeItGoesIntoAPath() {
        assertThat(RolloutCommand.path("r-0a1b")).isEqualTo("/api/v1/rollouts/r-0a1b");
        assertThatThrownBy(() -> RolloutCommand.path("../users")).isInstanceOf(IllegalArgumentException.class);
    }
}
