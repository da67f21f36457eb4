-- Rollouts (issue 10), part 1: what the rollout engine needs to know about devices and server
-- instances. Portable between H2 and PostgreSQL.

-- The device's last validated TRP certificate (set when processor authentication accepts it, or
-- given at registration), so that rollouts can exclude revoked and expired devices before anything
-- is sent to them. Public data: a certificate, never a key.
ALTER TABLE devices ADD COLUMN certificate_pem VARCHAR(8192);
ALTER TABLE devices ADD COLUMN certificate_not_after TIMESTAMP WITH TIME ZONE;

-- Free-form labels that rollout filters select on (tag=beta).
CREATE TABLE device_tags (
    device_id  VARCHAR(64) NOT NULL REFERENCES devices (device_id) ON DELETE CASCADE,
    tag        VARCHAR(32) NOT NULL,
    PRIMARY KEY (device_id, tag)
);
CREATE INDEX device_tags_tag ON device_tags (tag);

-- Every running server instance heartbeats here; the unfinished deliveries of an instance whose
-- heartbeat is older than the lease (a kill -9, a lost machine) are failed with server-lost, so
-- that no ledger row or rollout assignment stays in progress forever.
CREATE TABLE server_instances (
    instance_id   VARCHAR(36)              PRIMARY KEY,
    started_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    heartbeat_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
ALTER TABLE deliveries ADD COLUMN instance_id VARCHAR(36);
ALTER TABLE deliveries ADD COLUMN rollout_id VARCHAR(36);
CREATE INDEX deliveries_unfinished ON deliveries (outcome, instance_id);
CREATE INDEX deliveries_device_program ON deliveries (device_id, program_id, version, outcome);
