package dev.progdist.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Heap use of this JVM while something runs, three ways: the used heap sampled every
 * {@value #PERIOD_MILLIS} ms from a daemon thread; the sum of the peak usage of every heap memory
 * pool (each reset at {@link #start()}; the pools peak at different moments, so the sum is an upper
 * bound); and the largest heap left right after a garbage collection (from GC notifications),
 * which is close to the live data, whereas used heap also counts garbage the collector has not
 * needed to reclaim yet.
 */
public final class HeapWatch implements AutoCloseable {

    public static final int PERIOD_MILLIS = 50;

    /** Bytes, except the counts. */
    public record Result(long sampledPeak, long poolPeakSum, long afterGcMax, int collections, int samples,
            long maxHeap) {
    }

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final List<MemoryPoolMXBean> pools = new ArrayList<>();
    private final AtomicLong sampledPeak = new AtomicLong();
    private final AtomicLong afterGcMax = new AtomicLong();
    private final AtomicInteger collections = new AtomicInteger();
    private final AtomicInteger samples = new AtomicInteger();
    private final NotificationListener gcListener = this::onGc;
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private java.util.concurrent.ScheduledExecutorService sampler;

    public HeapWatch() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isValid()) {
                pools.add(pool);
            }
        }
    }

    /** Heap in use now (garbage included). */
    public long usedNow() {
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** Resets every heap pool's peak and starts sampling. */
    public HeapWatch start() {
        for (MemoryPoolMXBean pool : pools) {
            pool.resetPeakUsage();
        }
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(gcListener, null, null);
                emitters.add(emitter);
            }
        }
        sampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-heap-sampler");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(() -> {
            sampledPeak.accumulateAndGet(usedNow(), Math::max);
            samples.incrementAndGet();
        }, 0, PERIOD_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        return this;
    }

    private void onGc(Notification n, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
                (CompositeData) n.getUserData());
        long after = 0;
        for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
            if (isHeapPool(e.getKey())) {
                after += e.getValue().getUsed();
            }
        }
        afterGcMax.accumulateAndGet(after, Math::max);
        collections.incrementAndGet();
    }

    private boolean isHeapPool(String name) {
        for (MemoryPoolMXBean pool : pools) {
            if (pool.getName().equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** Stops sampling and returns what was seen since {@link #start()}. */
    public Result stop() throws InterruptedException {
        sampler.shutdownNow();
        sampler.awaitTermination(1, java.util.concurrent.TimeUnit.SECONDS);
        sampledPeak.accumulateAndGet(usedNow(), Math::max);
        removeListeners();
        long poolPeaks = 0;
        for (MemoryPoolMXBean pool : pools) {
            poolPeaks += pool.getPeakUsage().getUsed();
        }
        return new Result(sampledPeak.get(), poolPeaks, afterGcMax.get(), collections.get(), samples.get(),
                memory.getHeapMemoryUsage().getMax());
    }

    private void removeListeners() {
        for (NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(gcListener);
            } catch (ListenerNotFoundException ignored) {
                // already gone
            }
        }
        emitters.clear();
    }

    @Override
    public void close() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
        removeListeners();
    }
}
