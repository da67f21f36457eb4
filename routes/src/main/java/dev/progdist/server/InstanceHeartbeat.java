package dev.progdist.server;

import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.store.ServerInstances;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This server instance's heartbeat (camel/infrastructure/instance-heartbeat.camel.yaml), and the
 * check that makes crashes visible: the unfinished deliveries of instances whose heartbeat is older
 * than {@code progdist.rollout.instance-lease} fail with {@code server-lost} (their rollout
 * assignments settle with them). Every instance runs it; the ledger makes sure a row fails once.
 */
public class InstanceHeartbeat {

    private static final Logger LOG = LoggerFactory.getLogger(InstanceHeartbeat.class);
    /** Rows of instances lost this long ago, with nothing unfinished, are removed. */
    private static final Duration FORGET_AFTER = Duration.ofDays(1);

    private final ServerInstances instances;
    private final DeliveryLedger ledger;
    private final Duration lease;

    public InstanceHeartbeat(ServerInstances instances, DeliveryLedger ledger, Duration lease) {
        this.instances = instances;
        this.ledger = ledger;
        this.lease = lease;
    }

    public void run() {
        instances.heartbeat();
        failLost();
        instances.forget(FORGET_AFTER);
    }

    /** Fails the unfinished deliveries of lost instances; at start-up too. */
    public int failLost() {
        int n = ledger.failLost(lease);
        if (n > 0) {
            LOG.warn("Failed {} unfinished deliveries of server instances that stopped (server-lost)", n);
        }
        return n;
    }
}
