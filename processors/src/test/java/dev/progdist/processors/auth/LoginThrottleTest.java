package dev.progdist.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.processors.auth.LoginThrottle.Accepted;
import dev.progdist.processors.auth.LoginThrottle.Locked;
import dev.progdist.processors.auth.LoginThrottle.Outcome;
import dev.progdist.processors.auth.LoginThrottle.Rejected;
import dev.progdist.processors.auth.LoginThrottle.Busy;
import dev.progdist.processors.auth.LoginThrottle.Throttled;
import dev.progdist.processors.store.Database;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Protects against online guessing of secrets: throttling, then locking, per submitted user ID. */
class LoginThrottleTest {

    private static final Duration BASE = Duration.ofSeconds(1);
    private static final Duration MAX = Duration.ofSeconds(8);
    private static final Duration LOCK = Duration.ofMinutes(15);

    @TempDir
    Path dir;

    private Database db;
    private MutableClock clock;
    private final AtomicInteger verifications = new AtomicInteger();

    @BeforeEach
    void setUp() {
        db = TestDatabases.open(dir, 10);
        clock = new MutableClock();
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    private LoginThrottle throttle(int throttleAfter, int lockAfter) {
        return new LoginThrottle(db, clock, throttleAfter, BASE, MAX, lockAfter, LOCK);
    }

    /** A counting verifier: every call is one secret really checked. */
    private BooleanSupplier wrong() {
        return () -> {
            verifications.incrementAndGet();
            return false;
        };
    }

    private BooleanSupplier right() {
        return () -> {
            verifications.incrementAndGet();
            return true;
        };
    }

    @Test
    void constructorRefusesInconsistentLimits() {
        assertThatThrownBy(() -> throttle(0, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> throttle(5, 4)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void failuresBelowThrottleAfterAreRejectedAndNotThrottled() {
        LoginThrottle t = throttle(3, 10);
        // all at the same instant: nothing may be throttled before the third failure
        assertThat(t.attempt("alice", wrong())).isEqualTo(new Rejected());
        assertThat(t.attempt("alice", wrong())).isEqualTo(new Rejected());
        assertThat(t.attempt("alice", wrong())).isEqualTo(new Rejected());
        assertThat(verifications).hasValue(3);
        assertThat(failures("alice")).isEqualTo(3);
    }

    @Test
    void afterThrottleAfterTheNextAttemptWithinTheDelayIsThrottledWithoutCheckingTheSecret() {
        LoginThrottle t = throttle(3, 10);
        for (int i = 0; i < 3; i++) {
            t.attempt("alice", wrong());
        }
        assertThat(verifications).hasValue(3);

        assertThat(t.attempt("alice", wrong())).isEqualTo(new Throttled(BASE));
        // not even the right secret is checked while throttled
        assertThat(t.attempt("alice", right())).isEqualTo(new Throttled(BASE));
        clock.advance(Duration.ofMillis(400));
        assertThat(t.attempt("alice", right())).isEqualTo(new Throttled(Duration.ofMillis(600)));
        assertThat(verifications).hasValue(3);
        // throttled attempts do not count as failures
        assertThat(failures("alice")).isEqualTo(3);

        clock.advance(Duration.ofMillis(599));
        assertThat(t.attempt("alice", right())).isEqualTo(new Throttled(Duration.ofMillis(1)));
        clock.advance(Duration.ofMillis(1));
        // exactly at the end of the delay, the secret is checked again
        assertThat(t.attempt("alice", wrong())).isEqualTo(new Rejected());
        assertThat(verifications).hasValue(4);
    }

    @Test
    void delayDoublesAndIsCappedAtMaxDelay() {
        LoginThrottle t = throttle(3, 100);
        assertThat(t.delayAfter(3)).isEqualTo(Duration.ofSeconds(1));
        assertThat(t.delayAfter(4)).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.delayAfter(5)).isEqualTo(Duration.ofSeconds(4));
        assertThat(t.delayAfter(6)).isEqualTo(Duration.ofSeconds(8));
        assertThat(t.delayAfter(7)).isEqualTo(MAX);
        assertThat(t.delayAfter(50)).isEqualTo(MAX);
        // no overflow into a negative or zero delay for huge counts
        assertThat(t.delayAfter(Integer.MAX_VALUE)).isEqualTo(MAX);
    }

    @Test
    void theEnforcedDelayGrowsWithEachFailure() {
        LoginThrottle t = throttle(2, 100);
        t.attempt("alice", wrong());
        t.attempt("alice", wrong());
        Duration[] expected = {Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
            Duration.ofSeconds(8), Duration.ofSeconds(8), Duration.ofSeconds(8)};
        for (Duration d : expected) {
            assertThat(t.attempt("alice", wrong())).isEqualTo(new Throttled(d));
            clock.advance(d);
            assertThat(t.attempt("alice", wrong())).isEqualTo(new Rejected());
        }
    }

    @Test
    void lockAfterFailuresLocksForLockDurationWithoutCheckingTheSecret() {
        LoginThrottle t = throttle(3, 5);
        for (int i = 0; i < 5; i++) {
            assertThat(t.attempt("alice", wrong())).isEqualTo(new Rejected());
            clock.advance(MAX); // wait out any throttle delay, so only the lock can stop us
        }
        assertThat(verifications).hasValue(5);
        // the fifth failure was MAX ago
        assertThat(t.attempt("alice", right())).isEqualTo(new Locked(LOCK.minus(MAX)));
        clock.advance(Duration.ofMinutes(10));
        assertThat(t.attempt("alice", right())).isEqualTo(new Locked(LOCK.minus(MAX).minusMinutes(10)));
        assertThat(t.attempt("alice", wrong())).isInstanceOf(Locked.class);
        assertThat(verifications).as("no secret is checked while locked").hasValue(5);

        clock.advance(LOCK.minus(MAX).minusMinutes(10).minusMillis(1));
        assertThat(t.attempt("alice", right())).isEqualTo(new Locked(Duration.ofMillis(1)));
        assertThat(verifications).hasValue(5);
    }

    @Test
    void afterTheLockRunsOutTheCountStartsFresh() {
        LoginThrottle t = throttle(3, 5);
        for (int i = 0; i < 5; i++) {
            t.attempt("alice", wrong());
            clock.advance(MAX);
        }
        assertThat(t.attempt("alice", wrong())).isInstanceOf(Locked.class);
        clock.advance(LOCK);

        // fresh count: two failures at one instant are plain rejections, not a lock or a throttle
        assertThat(t.attempt("alice", wrong())).isEqualTo(new Rejected());
        assertThat(failures("alice")).isEqualTo(1);
        assertThat(lockedUntil("alice")).isNull();
        assertThat(t.attempt("alice", wrong())).isEqualTo(new Rejected());
        assertThat(t.attempt("alice", wrong())).isEqualTo(new Rejected());
        assertThat(t.attempt("alice", wrong())).isEqualTo(new Throttled(BASE));
    }

    @Test
    void afterTheLockRunsOutTheRightSecretIsAcceptedAndClearsTheRow() {
        LoginThrottle t = throttle(3, 5);
        for (int i = 0; i < 5; i++) {
            t.attempt("alice", wrong());
            clock.advance(MAX);
        }
        clock.advance(LOCK);
        assertThat(t.attempt("alice", right())).isEqualTo(new Accepted());
        assertThat(rowExists("alice")).isFalse();
    }

    @Test
    void successClearsTheCount() {
        LoginThrottle t = throttle(3, 10);
        t.attempt("alice", wrong());
        t.attempt("alice", wrong());
        assertThat(rowExists("alice")).isTrue();
        assertThat(t.attempt("alice", right())).isEqualTo(new Accepted());
        assertThat(rowExists("alice")).isFalse();
        // had the count been kept (3 after these), the third attempt would be throttled
        assertThat(t.attempt("alice", wrong())).isEqualTo(new Rejected());
        assertThat(t.attempt("alice", wrong())).isEqualTo(new Rejected());
        assertThat(t.attempt("alice", wrong())).isEqualTo(new Rejected());
        assertThat(failures("alice")).isEqualTo(3);
    }

    @Test
    void successWithoutEarlierFailuresLeavesNoRow() {
        LoginThrottle t = throttle(3, 10);
        assertThat(t.attempt("alice", right())).isEqualTo(new Accepted());
        assertThat(rowExists("alice")).isFalse();
    }

    @Test
    void differentUserIdsAreIndependent() {
        LoginThrottle t = throttle(2, 3);
        for (int i = 0; i < 3; i++) {
            t.attempt("alice", wrong());
            clock.advance(MAX);
        }
        assertThat(t.attempt("alice", right())).isInstanceOf(Locked.class);
        int before = verifications.get();
        assertThat(t.attempt("bob", wrong())).isEqualTo(new Rejected());
        assertThat(t.attempt("Alice", wrong())).as("IDs are compared exactly").isEqualTo(new Rejected());
        assertThat(t.attempt("bob", right())).isEqualTo(new Accepted());
        assertThat(verifications.get() - before).isEqualTo(3);
        assertThat(t.attempt("alice", right())).isInstanceOf(Locked.class);
    }

    /** A failing verifier (e.g. the user store is down) records nothing and leaks no connection. */
    @Test
    void verifierExceptionPropagatesAndReleasesTheConnection() {
        LoginThrottle t = throttle(3, 10);
        for (int i = 0; i < 15; i++) { // more than the pool's 10 connections
            assertThatThrownBy(() -> t.attempt("alice", () -> {
                throw new IllegalStateException("store down");
            })).isInstanceOf(IllegalStateException.class).hasMessage("store down");
        }
        assertThat(rowExists("alice")).isFalse();
        assertThat(t.attempt("alice", right())).isEqualTo(new Accepted());
    }

    /**
     * A second attempt for an ID while one is being checked is refused at once as busy,
     * without checking its secret and without waiting, whatever the case of the ID; other IDs go on.
     */
    @Test
    void aParallelAttemptForTheSameIdIsShedWithoutCheckingItsSecret() throws Exception {
        LoginThrottle t = throttle(3, 10);
        CountDownLatch checking = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Outcome> first = pool.submit(() -> t.attempt("alice", () -> {
                verifications.incrementAndGet();
                checking.countDown();
                await(release);
                return false;
            }));
            assertThat(checking.await(10, TimeUnit.SECONDS)).isTrue();
            // busy, not throttled: a parallel attempt is no failure and says nothing about the secret
            assertThat(t.attempt("alice", right())).isEqualTo(new Busy(BASE));
            assertThat(t.attempt("ALICE", right())).isEqualTo(new Busy(BASE));
            assertThat(verifications).as("only the first secret was checked").hasValue(1);
            assertThat(t.attempt("bob", right())).isEqualTo(new Accepted());
            release.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(new Rejected());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
        // the shed attempts were not failures; the guard is gone once the first attempt ended
        assertThat(failures("alice")).isEqualTo(1);
        assertThat(t.attempt("alice", right())).isEqualTo(new Accepted());
    }

    /**
     * No connection is held while the secret is checked: a verifier that needs every connection of
     * the pool at once gets them (the old design held one, and this waited for the pool's 10 s
     * timeout, then failed).
     */
    @Test
    void noConnectionIsHeldWhileTheSecretIsChecked(@TempDir Path small) throws Exception {
        try (Database two = TestDatabases.open(small, 2)) {
            LoginThrottle t = new LoginThrottle(two, clock, 3, BASE, MAX, 10, LOCK);
            long start = System.nanoTime();
            for (BooleanSupplier verdict : List.of(wrong(), right())) {
                Outcome o = t.attempt("alice", () -> {
                    try (Connection a = two.connection(); Connection b = two.connection()) {
                        return verdict.getAsBoolean();
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertThat(o).isInstanceOfAny(Rejected.class, Accepted.class);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    /**
     * Parallel guesses for one ID from several server instances (one throttle each, one database)
     * must not buy extra guesses: each instance may check one guess in the race, no more, and the
     * ID ends up locked.
     */
    @Test
    void concurrentGuessesForOneIdFromSeveralInstancesAreBoundedAndEndLocked() throws Exception {
        int lockAfter = 5;
        int instances = 8;
        List<Outcome> outcomes = runConcurrently(() -> throttle(lockAfter, lockAfter), instances, 3);

        assertThat(outcomes).hasSize(instances * 3).doesNotContain(new Accepted());
        assertThat(verifications.get()).isLessThanOrEqualTo(lockAfter + instances);
        assertThat(failures("alice")).isGreaterThanOrEqualTo(lockAfter);
        int before = verifications.get();
        assertThat(throttle(lockAfter, lockAfter).attempt("alice", right())).isInstanceOf(Locked.class);
        assertThat(verifications.get()).isEqualTo(before);
    }

    /** Failures recorded in parallel by several instances are all counted: the increment is atomic. */
    @Test
    void parallelFailuresFromSeveralInstancesAreNeverLost() throws Exception {
        List<Outcome> outcomes = runConcurrently(() -> throttle(1000, 1000), 8, 5);
        assertThat(outcomes).containsOnly(new Rejected());
        assertThat(failures("alice")).isEqualTo(40);
        assertThat(verifications).hasValue(40);
    }

    /**
     * Two first attempts from two instances: both may find no row and race to create it. With
     * throttleAfter = lockAfter = 2 the second failure must lock the ID.
     */
    @Test
    void racingFirstFailuresStillLock() throws Exception {
        racingFirstFailures(() -> throttle(2, 2));
        assertThat(failures("alice")).isEqualTo(2);
        assertThat(throttle(2, 2).attempt("alice", right())).isEqualTo(new Locked(LOCK));
    }

    /** Both racing first failures are counted (the duplicate-key path must not lose one). */
    @Test
    void racingFirstFailuresAreBothCounted() throws Exception {
        racingFirstFailures(() -> throttle(5, 10));
        assertThat(failures("alice")).isEqualTo(2);
        assertThat(verifications).hasValue(2);
    }

    // --- helpers ---

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Two first attempts released at the same moment from two instances: both checked, rejected and counted. */
    private void racingFirstFailures(Supplier<LoginThrottle> instance) throws Exception {
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Outcome>> both = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                LoginThrottle t = instance.get();
                both.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return t.attempt("alice", wrong());
                }));
            }
            for (Future<Outcome> f : both) {
                assertThat(f.get(20, TimeUnit.SECONDS)).isEqualTo(new Rejected());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@code threads} threads, each with its own throttle from {@code instance} (its own server instance). */
    private List<Outcome> runConcurrently(Supplier<LoginThrottle> instance, int threads, int guessesEach)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CyclicBarrier start = new CyclicBarrier(threads);
        try {
            List<Future<List<Outcome>>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                LoginThrottle t = instance.get();
                futures.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    List<Outcome> mine = new ArrayList<>();
                    for (int g = 0; g < guessesEach; g++) {
                        mine.add(t.attempt("alice", wrong()));
                    }
                    return mine;
                }));
            }
            List<Outcome> all = new ArrayList<>();
            for (Future<List<Outcome>> f : futures) {
                all.addAll(f.get(30, TimeUnit.SECONDS));
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    private boolean rowExists(String userId) {
        return query(userId, rs -> true, false);
    }

    private int failures(String userId) {
        return query(userId, rs -> rs.getInt("failures"), 0);
    }

    private OffsetDateTime lockedUntil(String userId) {
        return query(userId, rs -> rs.getObject("locked_until", OffsetDateTime.class), null);
    }

    private interface Column<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> T query(String userId, Column<T> column, T absent) {
        try (Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement("SELECT * FROM login_failures WHERE user_id = ?")) {
            ps.setString(1, userId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? column.read(rs) : absent;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
