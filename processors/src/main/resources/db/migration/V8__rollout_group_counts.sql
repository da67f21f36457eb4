-- Per-group assignment counts kept on the group row, moved in the same transaction as each
-- assignment's state change (under the rollout's row lock), so that the scheduler's thresholds and
-- every rollout view read a few group rows instead of counting all the rollout's assignments: a
-- count over the assignments costs O(targets) on each scheduler tick and each view, which made a
-- rollout's total counting work grow with the square of its size.
-- n_security_failed: of n_failed, the security failures (they count toward the security threshold,
-- not the error threshold).

ALTER TABLE rollout_groups ADD COLUMN n_scheduled BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE rollout_groups ADD COLUMN n_offered BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE rollout_groups ADD COLUMN n_delivering BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE rollout_groups ADD COLUMN n_installed BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE rollout_groups ADD COLUMN n_failed BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE rollout_groups ADD COLUMN n_timed_out BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE rollout_groups ADD COLUMN n_excluded BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE rollout_groups ADD COLUMN n_cancelled BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE rollout_groups ADD COLUMN n_security_failed BIGINT DEFAULT 0 NOT NULL;

-- the rollouts that exist already: counted once here
UPDATE rollout_groups g SET
    n_scheduled = (SELECT COUNT(*) FROM rollout_assignments a
        WHERE a.rollout_id = g.rollout_id AND a.group_no = g.group_no AND a.state = 'scheduled'),
    n_offered = (SELECT COUNT(*) FROM rollout_assignments a
        WHERE a.rollout_id = g.rollout_id AND a.group_no = g.group_no AND a.state = 'offered'),
    n_delivering = (SELECT COUNT(*) FROM rollout_assignments a
        WHERE a.rollout_id = g.rollout_id AND a.group_no = g.group_no AND a.state = 'delivering'),
    n_installed = (SELECT COUNT(*) FROM rollout_assignments a
        WHERE a.rollout_id = g.rollout_id AND a.group_no = g.group_no AND a.state = 'installed'),
    n_failed = (SELECT COUNT(*) FROM rollout_assignments a
        WHERE a.rollout_id = g.rollout_id AND a.group_no = g.group_no AND a.state = 'failed'),
    n_timed_out = (SELECT COUNT(*) FROM rollout_assignments a
        WHERE a.rollout_id = g.rollout_id AND a.group_no = g.group_no AND a.state = 'timed-out'),
    n_excluded = (SELECT COUNT(*) FROM rollout_assignments a
        WHERE a.rollout_id = g.rollout_id AND a.group_no = g.group_no AND a.state = 'excluded'),
    n_cancelled = (SELECT COUNT(*) FROM rollout_assignments a
        WHERE a.rollout_id = g.rollout_id AND a.group_no = g.group_no AND a.state = 'cancelled'),
    n_security_failed = (SELECT COUNT(*) FROM rollout_assignments a
        WHERE a.rollout_id = g.rollout_id AND a.group_no = g.group_no AND a.state = 'failed'
        AND a.security_failure = TRUE);

-- the scheduler's timeout sweep, one state at a time: the expired assignments of one rollout are a
-- range of this index (it read all the rollout's assignments through the rollout_id index before)
DROP INDEX rollout_assignments_deadline;
CREATE INDEX rollout_assignments_deadline ON rollout_assignments (rollout_id, state, deadline_at);
