package dev.progdist.processors.channel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.processors.testing.TestDatabases;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** channel_events does not grow without bound: old rows go, and at most a maximum of rows stay. */
class ChannelLogTest {

    @TempDir
    Path dir;

    @Test
    void purgeDeletesOldEventsThenTheOldestBeyondTheMaximum() {
        MutableClock clock = new MutableClock();
        try (Database db = TestDatabases.open(dir)) {
            ChannelLog log = new ChannelLog(db, clock);
            for (int i = 0; i < 5; i++) {
                log.record("old" + i, "alice", "dev-1", null, "failed", "tls-failure", null);
            }
            clock.advance(Duration.ofDays(40));
            for (int i = 0; i < 5; i++) {
                log.record("new" + i, "alice", "dev-1", null, "failed", "tls-failure", null);
            }
            assertThat(log.purge(Duration.ofDays(30), 1000)).isEqualTo(5);
            assertThat(sessions(log)).containsExactly("new0", "new1", "new2", "new3", "new4");

            assertThat(log.purge(Duration.ofDays(30), 2)).isEqualTo(3);
            assertThat(sessions(log)).containsExactly("new3", "new4");
            assertThat(log.purge(Duration.ofDays(30), 2)).isZero();
        }
    }

    private static List<String> sessions(ChannelLog log) {
        return log.forDevice("dev-1").stream().map(ChannelLog.Event::sessionId).toList();
    }
}
