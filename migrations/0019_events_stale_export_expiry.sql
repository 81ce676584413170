-- sync.stale webhooks and export retention (issue 16).
--
-- A type of a device turns STALE (ingest.SyncStatus: the device uploaded more than ingest.StaleAfter after the
-- type last brought new data). A sweep in the system scope announces each such transition once: it remembers the
-- last_data_at it announced, so the same silence is never announced twice, and new data of the type (a newer
-- last_data_at) re-arms it without the ingest having to touch this column.
ALTER TABLE sync_state ADD COLUMN stale_announced_for timestamptz;

-- The sweep runs across users in the system scope (healthsync.scope = 'system', set only by
-- db.Store.InSystemTx), which the policy now admits on sync_state as on idempotency_keys and deletions. It only
-- reads devices (their last upload), so devices gets a read-only policy for that scope and keeps its own.
ALTER POLICY tenant ON sync_state
    USING (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint
           OR current_setting('healthsync.scope', true) = 'system')
    WITH CHECK (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint
           OR current_setting('healthsync.scope', true) = 'system');
CREATE POLICY system_read ON devices FOR SELECT
    USING (current_setting('healthsync.scope', true) = 'system');

-- At most one open (QUEUED or RUNNING) export per user: asking again returns the open one. Exports opened twice
-- before this migration keep the oldest (the one a worker most likely holds); the others fail with a reason.
UPDATE exports e SET status = 'FAILED', error = 'superseded by an earlier export of the same account; request a new one after it finishes',
    finished_at = e.updated_at, leased_until = NULL
WHERE e.status IN ('QUEUED', 'RUNNING') AND EXISTS (
    SELECT 1 FROM exports o WHERE o.user_id = e.user_id AND o.status IN ('QUEUED', 'RUNNING')
      AND (o.created_at, o.export_id) < (e.created_at, e.export_id));
CREATE UNIQUE INDEX exports_one_open ON exports (user_id) WHERE status IN ('QUEUED', 'RUNNING');

-- Finished exports expire (HEALTHSYNC_EXPORT_TTL): the background loop finds them by when they finished.
CREATE INDEX exports_done_finished ON exports (finished_at) WHERE status = 'DONE';
