package dev.progdist.processors.rollout;

import java.time.Instant;
import java.util.List;

/** One page of a rollout's per-device states, by group then position. */
public record DevicePage(int page, int pageSize, long total, List<Device> devices) {

    /** One target device's assignment. */
    public record Device(String deviceId, int group, String state, String reason, String reasonDetail, int attempts,
            Instant offeredAt, Instant startedAt, Instant finishedAt, String deliveryId) {
    }
}
