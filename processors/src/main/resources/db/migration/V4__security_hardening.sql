-- Security hardening (issue 8). Portable between H2 and PostgreSQL: ${stored} is the one word the
-- two disagree on (PostgreSQL's generated columns need STORED, H2 refuses it); Database.open sets it.

-- Disabled users cannot log in; disabling ends their sessions (UserDirectory). NULL = enabled.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP WITH TIME ZONE;

-- Why a session was ended before its expiry (logout, secret-replaced, user-disabled, revoked), for
-- the answer its token gets next.
ALTER TABLE sessions ADD COLUMN closed_reason VARCHAR(32);
CREATE INDEX sessions_user_live ON sessions (user_id, closed_at, expires_at);

-- IDs that differ only in case would collide in a TRP's store on a case-insensitive file system
-- (programs/<id>/<version>.bin, trp/<device>/): they are refused. The IDs are ASCII only, so LOWER
-- is the whole case folding. A migration onto a database that already holds such a pair fails
-- here: rename one of them first (docs/operations.md).
ALTER TABLE users ADD COLUMN user_id_folded VARCHAR(64) GENERATED ALWAYS AS (LOWER(user_id)) ${stored};
CREATE UNIQUE INDEX users_id_folded ON users (user_id_folded);

-- A device ID is folded further, '_' read as '-' (DeviceId.folded): d-1 and d_1 would also share
-- a PROGDIST_..._PASSWORD variable, which upper-cases and maps '-' to '_'.
ALTER TABLE devices ADD COLUMN device_id_folded VARCHAR(64)
    GENERATED ALWAYS AS (REPLACE(LOWER(device_id), '_', '-')) ${stored};
CREATE UNIQUE INDEX devices_id_folded ON devices (device_id_folded);

ALTER TABLE programs ADD COLUMN program_id_folded VARCHAR(64) GENERATED ALWAYS AS (LOWER(program_id)) ${stored};
ALTER TABLE programs ADD COLUMN version_folded VARCHAR(64) GENERATED ALWAYS AS (LOWER(version)) ${stored};
CREATE UNIQUE INDEX programs_id_version_folded ON programs (program_id_folded, version_folded);

-- Housekeeping deletes channel events by age.
CREATE INDEX channel_events_at ON channel_events (at);
