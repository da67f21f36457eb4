package dev.progdist.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.cli.ProgdistCli;
import dev.progdist.protocol.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code bench rollout}'s options and the figures it computes from a rollout's device pages, without
 * running a rollout (the bench itself is not a test: it is timed on a shared machine).
 */
class RolloutBenchArgumentsTest {

    @Test
    void helpExitsZeroAndNamesTheRatio() {
        CommandLine cl = ProgdistCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("bench", "rollout", "--help")).isZero();
        assertThat(err.toString()).as("stderr (picocli warns there about a bad format string)").isEmpty();
        assertThat(out.toString()).startsWith("Usage: ").contains("--devices", "--size", "--mode", "--groups",
                "--warmup", "--keep-home", "rollout devices/s / crypto-only devices/s on all cores (measured)");
    }

    @Test
    void optionsAreParsedWithTheirDefaults() {
        BenchCommand.Rollout r = parse("--devices", "1000", "--size", "1MiB", "--mode", "direct", "--groups",
                "5,25,100", "--warmup", "0", "--check-in", "2s");
        assertThat(r.devices).isEqualTo(1000);
        assertThat(BenchFiles.parseSize(r.size)).isEqualTo(1024 * 1024);
        assertThat(r.mode).isEqualTo("direct");
        assertThat(RolloutFigures.groups(r.groups)).containsExactly(5, 25, 100);
        assertThat(r.warmup).isZero();
        assertThat(r.checkIn).isEqualTo("2s");

        BenchCommand.Rollout d = parse();
        assertThat(d.devices).isEqualTo(100);
        assertThat(d.size).isEqualTo("64KiB");
        assertThat(d.mode).isEqualTo("wrapped");
        assertThat(RolloutFigures.groups(d.groups)).containsExactly(100);
        assertThat(d.argon2MemoryKiB).as("Argon2id left at the server's default unless asked").isNull();
        assertThat(d.checkInRate).as("the server's check-in pace left at its default unless asked").isNull();
        assertThat(d.warmupRounds).isEqualTo(9);
    }

    @Test
    void defaultHeapsGrowWithTheDevicesAndTheRelayWindow() {
        // 64 KiB: a sixteenth of a window per device; 1 MiB and more: the whole 1 MiB window
        assertThat(BenchCommand.Rollout.defaultFleetHeapMiB(1000, 16, 64 * 1024)).isEqualTo(634);
        assertThat(BenchCommand.Rollout.defaultFleetHeapMiB(1000, 16, 8L << 20)).isEqualTo(4624);
        assertThat(BenchCommand.Rollout.defaultServerHeapMiB(1000, 1 << 20)).isEqualTo(3512);
        assertThat(BenchCommand.Rollout.defaultServerHeapMiB(100, 64 * 1024)).isEqualTo(531);
    }

    @Test
    void badGroupsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> RolloutFigures.groups(List.of(25, 5, 100))).hasMessageContaining("increasing");
        assertThatThrownBy(() -> RolloutFigures.groups(List.of(5, 50))).hasMessageContaining("end with 100");
        assertThatThrownBy(() -> RolloutFigures.groups(List.of(0, 100))).hasMessageContaining("from 1 to 100");
    }

    @Test
    void badOptionsAreRefusedBeforeTheHomeIsTouched() {
        assertThatThrownBy(() -> parse("--devices", "0").options()).hasMessageContaining("--devices");
        assertThatThrownBy(() -> parse("--mode", "sideways").options()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> parse("--check-in", "soon").options()).hasMessageContaining("--check-in");
        assertThatThrownBy(() -> parse("--warmup-rounds", "0").options()).hasMessageContaining("--warmup-rounds");
        assertThatThrownBy(() -> parse("--check-in-rate", "-1").options()).hasMessageContaining("--check-in-rate");
    }

    @Test
    void perDeviceTimesComeFromInstalledDevicesOnly() throws Exception {
        JsonNode page = Json.mapper().readTree("""
                {"page": 1, "pageSize": 1000, "total": 4, "devices": [
                 {"deviceId": "f-0001", "state": "installed", "reason": null, "offeredAt": "2026-12-02T04:00:00Z",
                  "startedAt": "2026-12-02T04:00:01Z", "finishedAt": "2026-12-02T04:00:01.250Z"},
                 {"deviceId": "f-0002", "state": "installed", "reason": null, "offeredAt": "2026-12-02T04:00:00Z",
                  "startedAt": "2026-12-02T04:00:00.500Z", "finishedAt": "2026-12-02T04:00:02.500Z"},
                 {"deviceId": "f-0003", "state": "installed", "offeredAt": 1764648000.0, "startedAt": 1764648000.1,
                  "finishedAt": 1764648000.6},
                 {"deviceId": "f-0004", "state": "failed", "reason": "trp-storage-full",
                  "offeredAt": "2026-12-02T04:00:00Z", "startedAt": "2026-12-02T04:00:00Z",
                  "finishedAt": "2026-12-02T04:09:00Z"}]}
                """);
        List<RolloutFigures.DeviceRow> rows = RolloutFigures.rows(page);
        assertThat(rows).hasSize(4);
        assertThat(rows.get(2).finishedAt()).isEqualTo(Instant.ofEpochSecond(1764648000L, 600_000_000L));

        Samples delivery = RolloutFigures.durations(rows, false);
        assertThat(delivery.count()).isEqualTo(3); // the failed device's nine minutes are left out
        assertThat(delivery.percentileMillis(50)).isEqualTo(500.0);
        assertThat(delivery.percentileMillis(99)).isEqualTo(2000.0);
        Samples offered = RolloutFigures.durations(rows, true);
        assertThat(offered.percentileMillis(50)).isEqualTo(1250.0);
        assertThat(offered.maxMillis()).isEqualTo(2500.0);

        assertThat(RolloutFigures.lastFinished(rows)).contains(Instant.parse("2026-12-02T04:09:00Z"));
        assertThat(RolloutFigures.notInstalled(rows)).containsExactly("f-0004 failed trp-storage-full");
    }

    @Test
    void ratesCpuAndTheRatio() {
        assertThat(RolloutFigures.perSecond(1000, Duration.ofSeconds(40).toNanos())).isEqualTo(25.0);
        assertThat(RolloutFigures.cpuMillisPerDevice(Duration.ofSeconds(30), 1000)).isEqualTo(30.0);
        // 20 ms of crypto per device: 50 devices/s on one core, 100 on two; 25 devices/s is a quarter
        assertThat(RolloutFigures.cryptoBound(20.0, 2)).isEqualTo(100.0);
        assertThat(RolloutFigures.ratio(25.0, 20.0, 2)).isEqualTo(0.25);
        assertThat(RolloutFigures.median(57.3, 75.4, 61.1)).isEqualTo(61.1);
        assertThat(RolloutFigures.median(60.0, 70.0)).isEqualTo(65.0);
        assertThatThrownBy(RolloutFigures::median).isInstanceOf(IllegalArgumentException.class);
        RolloutCrypto.Result r = new RolloutCrypto.Result(new Samples(), new Samples(), new Samples(), new Samples(),
                new Samples(), new Samples(), new Samples(), samples(10_000_000L, 30_000_000L), new Samples(),
                1_000_000_000L);
        assertThat(r.perDeviceMillis(1000)).as("20 ms mean + 1 s encryption over 1000 devices").isEqualTo(21.0);
    }

    private static Samples samples(long... nanos) {
        Samples s = new Samples();
        for (long n : nanos) {
            s.add(n);
        }
        return s;
    }

    private static BenchCommand.Rollout parse(String... args) {
        BenchCommand.Rollout r = new BenchCommand.Rollout();
        new CommandLine(r).parseArgs(args);
        return r;
    }
}
