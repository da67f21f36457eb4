-- Programs: the catalog of published versions, who may receive which program, and the ledger of
-- every delivery attempt. Portable between H2 and PostgreSQL.

-- One row per published version. The bytes live in the blob store under their SHA-256; the row
-- keeps the publisher's signature over the program statement (id, version, sha256, size).
CREATE TABLE programs (
    program_id             VARCHAR(64)              NOT NULL,
    version                VARCHAR(64)              NOT NULL,
    sha256                 VARCHAR(64)              NOT NULL,
    size                   BIGINT                   NOT NULL CHECK (size >= 0),
    publisher_signature    VARCHAR(512)             NOT NULL,
    publisher_fingerprint  VARCHAR(64)              NOT NULL,
    default_mode           VARCHAR(16)              CHECK (default_mode IN ('direct', 'wrapped')),
    published_by           VARCHAR(64)              NOT NULL,
    published_at           TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (program_id, version)
);
CREATE INDEX programs_sha256 ON programs (sha256);

-- Which user may receive which program (any version).
CREATE TABLE entitlements (
    user_id     VARCHAR(64)              NOT NULL REFERENCES users (user_id),
    program_id  VARCHAR(64)              NOT NULL,
    granted_by  VARCHAR(64)              NOT NULL,
    granted_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (user_id, program_id)
);
CREATE INDEX entitlements_program ON entitlements (program_id);

-- One row per delivery attempt, from the request to its end: requested -> sending -> installed,
-- or failed from either unfinished state. A finished row never changes again.
CREATE TABLE deliveries (
    delivery_id        VARCHAR(36)              PRIMARY KEY,
    session_id         VARCHAR(64)              NOT NULL,
    user_id            VARCHAR(64)              NOT NULL,
    device_id          VARCHAR(64)              NOT NULL,
    program_id         VARCHAR(64)              NOT NULL,
    requested_version  VARCHAR(64),
    version            VARCHAR(64),
    mode               VARCHAR(16)              CHECK (mode IN ('direct', 'wrapped')),
    program_sha256     VARCHAR(64),
    envelope_sha256    VARCHAR(64),
    envelope_size      BIGINT,
    server_nonce       VARCHAR(128),
    outcome            VARCHAR(16)              NOT NULL CHECK (outcome IN ('requested', 'sending', 'installed', 'failed')),
    reason_code        VARCHAR(64),
    reason_detail      VARCHAR(1000),
    receipt_signature  VARCHAR(2048),
    requested_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at        TIMESTAMP WITH TIME ZONE
);
CREATE INDEX deliveries_device ON deliveries (device_id);
CREATE INDEX deliveries_program ON deliveries (program_id);
