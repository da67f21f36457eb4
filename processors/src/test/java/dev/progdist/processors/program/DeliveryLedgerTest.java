package dev.progdist.processors.program;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.store.Database;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.processors.testing.TestDatabases;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliveryLedgerTest {

    private static final String SHA = "a".repeat(64);
    private static final String ENVELOPE_SHA = "b".repeat(64);

    @TempDir
    Path dir;
    Database db;
    final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    DeliveryLedger ledger;

    @BeforeEach
    void open() {
        db = TestDatabases.open(dir, 8);
        ledger = new DeliveryLedger(db, clock);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void aDeliveryGoesFromRequestedThroughSendingToInstalled() {
        String id = ledger.open("s1", "alice", "dev-1", "editor", "1.0", "wrapped");
        DeliveryLedger.Delivery requested = ledger.find(id).orElseThrow();
        assertThat(requested.outcome()).isEqualTo("requested");
        assertThat(requested.requestedVersion()).isEqualTo("1.0");
        assertThat(requested.mode()).isEqualTo("wrapped");
        assertThat(requested.requestedAt()).isEqualTo(clock.instant());
        assertThat(requested.finishedAt()).isNull();
        assertThat(requested.envelopeSize()).isNull();

        ledger.sending(id, "1.0", "direct", SHA, 4242, "nonce_1");
        DeliveryLedger.Delivery sending = ledger.find(id).orElseThrow();
        assertThat(sending.outcome()).isEqualTo("sending");
        assertThat(sending.mode()).isEqualTo("direct");
        assertThat(sending.programSha256()).isEqualTo(SHA);
        assertThat(sending.envelopeSize()).isEqualTo(4242L);
        assertThat(sending.serverNonce()).isEqualTo("nonce_1");

        clock.advance(Duration.ofSeconds(3));
        ledger.installed(id, ENVELOPE_SHA, "c2lnbmF0dXJl");
        DeliveryLedger.Delivery installed = ledger.find(id).orElseThrow();
        assertThat(installed.outcome()).isEqualTo("installed");
        assertThat(installed.envelopeSha256()).isEqualTo(ENVELOPE_SHA);
        assertThat(installed.finishedAt()).isEqualTo(clock.instant());
    }

    @Test
    void transitionsOutOfOrderAreRefused() {
        String id = ledger.open("s1", "alice", "dev-1", "editor", null, null);
        assertThatThrownBy(() -> ledger.installed(id, ENVELOPE_SHA, "sig"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("requested");
        ledger.sending(id, "1.0", "direct", SHA, 1, "n");
        assertThatThrownBy(() -> ledger.sending(id, "1.0", "direct", SHA, 1, "n"))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ledger.sending("no-such-id", "1.0", "direct", SHA, 1, "n"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("unknown");
    }

    @Test
    void failedEndsAnUnfinishedDeliveryButNeverOverwritesAFinishedOne() {
        String requested = ledger.open("s1", "alice", "dev-1", "editor", null, null);
        String sending = ledger.open("s1", "alice", "dev-1", "editor", null, null);
        String installed = ledger.open("s1", "alice", "dev-1", "editor", null, null);
        ledger.sending(sending, "1.0", "direct", SHA, 1, "n1");
        ledger.sending(installed, "1.0", "direct", SHA, 1, "n2");
        ledger.installed(installed, ENVELOPE_SHA, "sig");

        ledger.failed(requested, "not-entitled", "user has no grant");
        ledger.failed(sending, "channel-closed", "x".repeat(5000));
        ledger.failed(installed, "late", "must not change anything");

        DeliveryLedger.Delivery a = ledger.find(requested).orElseThrow();
        assertThat(a.outcome()).isEqualTo("failed");
        assertThat(a.reasonCode()).isEqualTo("not-entitled");
        assertThat(a.finishedAt()).isNotNull();
        DeliveryLedger.Delivery b = ledger.find(sending).orElseThrow();
        assertThat(b.outcome()).isEqualTo("failed");
        assertThat(b.reasonDetail()).hasSize(DeliveryLedger.MAX_DETAIL);
        DeliveryLedger.Delivery c = ledger.find(installed).orElseThrow();
        assertThat(c.outcome()).isEqualTo("installed");
        assertThat(c.reasonCode()).isNull();

        // a failed delivery stays failed too
        ledger.failed(requested, "other", "second failure");
        assertThat(ledger.find(requested).orElseThrow().reasonCode()).isEqualTo("not-entitled");
        assertThatThrownBy(() -> ledger.sending(requested, "1.0", "direct", SHA, 1, "n"))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ledger.installed(requested, ENVELOPE_SHA, "sig"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void concurrentInstalledAndFailedHaveExactlyOneWinner() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                String id = ledger.open("s1", "alice", "dev-1", "editor", null, null);
                ledger.sending(id, "1.0", "direct", SHA, 1, "n");
                CountDownLatch start = new CountDownLatch(1);
                Future<Boolean> install = pool.submit(() -> {
                    start.await();
                    try {
                        ledger.installed(id, ENVELOPE_SHA, "sig");
                        return true;
                    } catch (IllegalStateException lost) {
                        return false;
                    }
                });
                Future<?> fail = pool.submit(() -> {
                    start.await();
                    ledger.failed(id, "timeout", null);
                    return null;
                });
                start.countDown();
                boolean installWon = install.get();
                fail.get();
                assertThat(ledger.find(id).orElseThrow().outcome()).isEqualTo(installWon ? "installed" : "failed");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void listFiltersAndLimitsNewestFirst() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(ledger.open("s", i % 2 == 0 ? "alice" : "bob", "dev-" + (i % 2), i < 3 ? "editor" : "viewer", null,
                    null));
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(ledger.list(null, null, null, 100)).extracting(DeliveryLedger.Delivery::deliveryId)
                .containsExactly(ids.get(4), ids.get(3), ids.get(2), ids.get(1), ids.get(0));
        assertThat(ledger.list("dev-0", null, null, 100)).hasSize(3);
        assertThat(ledger.list("dev-0", "editor", null, 100)).extracting(DeliveryLedger.Delivery::deliveryId)
                .containsExactly(ids.get(2), ids.get(0));
        assertThat(ledger.list(null, null, "bob", 100)).hasSize(2);
        assertThat(ledger.list(null, "viewer", "alice", 100)).extracting(DeliveryLedger.Delivery::deliveryId)
                .containsExactly(ids.get(4));
        assertThat(ledger.list(null, null, null, 2)).hasSize(2);
        assertThat(ledger.find("nope")).isEmpty();
    }
}
