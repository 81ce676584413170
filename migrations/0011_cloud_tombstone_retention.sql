-- A cloud provider's corrected record replaces every item of its earlier revision, and DeleteItems tombstones
-- those ids (<provider>:<type>:<record>:r<revision>:<item>). No upload ever sends such an id again (revisions
-- only grow, and a stale fetch is stopped by the record's revision check), so these tombstones only grow the
-- table, and one tombstone makes every later upload of that user look its ids up. cloudsync prunes them after
-- a week, across users in the system scope, which the policy now admits on this table. Tombstones of device
-- deletions (HealthKit, Health Connect) are kept.
ALTER POLICY tenant ON deletions
    USING (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint
           OR current_setting('healthsync.scope', true) = 'system')
    WITH CHECK (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint
           OR current_setting('healthsync.scope', true) = 'system');

CREATE INDEX deletions_deleted_at ON deletions (deleted_at);
