-- Stored answers under idempotency keys are kept for a retention period (HEALTHSYNC_IDEMPOTENCY_RETENTION), not
-- forever: a retry after that is stored as a new request whose samples count as duplicates by their ids, so
-- nothing is doubled. Pruning runs across users, in the system scope (healthsync.scope = 'system', set only by
-- db.Store.InSystemTx), which the policy admits on this table as on connections and jobs.
ALTER POLICY tenant ON idempotency_keys
    USING (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint
           OR current_setting('healthsync.scope', true) = 'system')
    WITH CHECK (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint
           OR current_setting('healthsync.scope', true) = 'system');

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
