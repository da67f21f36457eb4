-- Rollouts (issue 10), part 2: rollouts, their ordered groups, one assignment per target device,
-- and the outbox of state-change events that the events route publishes to a JMS topic.
-- Everything a rollout is lives here, not in a server's memory: any instance can drive any
-- rollout (claimed with SELECT ... FOR UPDATE SKIP LOCKED), and a restart loses nothing.

CREATE TABLE rollouts (
    rollout_id              VARCHAR(36)              PRIMARY KEY,
    name                    VARCHAR(128),
    program_id              VARCHAR(64)              NOT NULL,
    version                 VARCHAR(64)              NOT NULL,
    mode                    VARCHAR(16)              NOT NULL CHECK (mode IN ('direct', 'wrapped')),
    status                  VARCHAR(24)              NOT NULL CHECK (status IN ('creating', 'waiting-for-approval',
                                'ready', 'scheduled', 'running', 'paused', 'stopping', 'stopped', 'finished', 'failed')),
    reason_code             VARCHAR(64),
    reason_detail           VARCHAR(1000),
    target_kind             VARCHAR(16)              NOT NULL CHECK (target_kind IN ('list', 'filter', 'all')),
    target_filter           VARCHAR(512),
    group_spec              VARCHAR(2000)            NOT NULL,
    target_order            VARCHAR(16)              NOT NULL CHECK (target_order IN ('registration', 'random')),
    order_seed              BIGINT,
    success_threshold       INTEGER                  NOT NULL,
    on_success              VARCHAR(8)               NOT NULL CHECK (on_success IN ('next', 'pause')),
    error_threshold         INTEGER                  NOT NULL,
    error_threshold_kind    VARCHAR(8)               NOT NULL CHECK (error_threshold_kind IN ('percent', 'count')),
    security_threshold      INTEGER                  NOT NULL,
    device_timeout_seconds  BIGINT                   NOT NULL,
    retries                 INTEGER                  NOT NULL,
    retry_backoff_seconds   BIGINT                   NOT NULL,
    start_at                TIMESTAMP WITH TIME ZONE,
    window_start            VARCHAR(5),
    window_end              VARCHAR(5),
    window_zone             VARCHAR(64),
    dynamic_targets         BOOLEAN                  NOT NULL,
    fresh_key_per_group     BOOLEAN                  NOT NULL,
    start_requested         BOOLEAN                  NOT NULL,
    retry_of                VARCHAR(36),
    created_by              VARCHAR(64)              NOT NULL,
    created_at              TIMESTAMP WITH TIME ZONE NOT NULL,
    decided_by              VARCHAR(64),
    decided_at              TIMESTAMP WITH TIME ZONE,
    decision_remark         VARCHAR(512),
    started_at              TIMESTAMP WITH TIME ZONE,
    ended_at                TIMESTAMP WITH TIME ZONE,
    updated_at              TIMESTAMP WITH TIME ZONE NOT NULL,
    scheduler_errors        INTEGER                  DEFAULT 0 NOT NULL,
    security_failures       INTEGER                  DEFAULT 0 NOT NULL
);
CREATE INDEX rollouts_status ON rollouts (status);

CREATE TABLE rollout_groups (
    rollout_id            VARCHAR(36)              NOT NULL REFERENCES rollouts (rollout_id),
    group_no              INTEGER                  NOT NULL,
    status                VARCHAR(16)              NOT NULL CHECK (status IN ('scheduled', 'running', 'finished',
                              'paused', 'stopped')),
    selector              VARCHAR(512),
    success_threshold     INTEGER                  NOT NULL,
    error_threshold       INTEGER                  NOT NULL,
    error_threshold_kind  VARCHAR(8)               NOT NULL,
    error_baseline        INTEGER                  DEFAULT 0 NOT NULL,
    next_triggered        BOOLEAN                  DEFAULT FALSE NOT NULL,
    started_at            TIMESTAMP WITH TIME ZONE,
    ended_at              TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (rollout_id, group_no)
);

CREATE TABLE rollout_assignments (
    rollout_id        VARCHAR(36)              NOT NULL REFERENCES rollouts (rollout_id),
    device_id         VARCHAR(64)              NOT NULL,
    group_no          INTEGER                  NOT NULL,
    position          INTEGER                  NOT NULL,
    state             VARCHAR(16)              NOT NULL CHECK (state IN ('scheduled', 'offered', 'delivering',
                          'installed', 'failed', 'timed-out', 'excluded', 'cancelled')),
    reason_code       VARCHAR(64),
    reason_detail     VARCHAR(1000),
    security_failure  BOOLEAN                  DEFAULT FALSE NOT NULL,
    attempts          INTEGER                  DEFAULT 0 NOT NULL,
    next_attempt_at   TIMESTAMP WITH TIME ZONE,
    deadline_at       TIMESTAMP WITH TIME ZONE,
    delivery_id       VARCHAR(36),
    offered_at        TIMESTAMP WITH TIME ZONE,
    started_at        TIMESTAMP WITH TIME ZONE,
    finished_at       TIMESTAMP WITH TIME ZONE,
    updated_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (rollout_id, device_id)
);
CREATE INDEX rollout_assignments_device ON rollout_assignments (device_id, state);
CREATE INDEX rollout_assignments_group ON rollout_assignments (rollout_id, group_no, state);
CREATE INDEX rollout_assignments_delivery ON rollout_assignments (delivery_id);
CREATE INDEX rollout_assignments_deadline ON rollout_assignments (state, deadline_at);

-- The outbox: one row per state change, written in the transaction that made the change, published
-- in id order to the events topic and deleted once sent (at-least-once; consumers dedupe on id).
CREATE TABLE rollout_events (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at          TIMESTAMP WITH TIME ZONE NOT NULL,
    rollout_id  VARCHAR(36)              NOT NULL,
    body        VARCHAR(2000)            NOT NULL
);
