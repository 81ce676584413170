-- Cloud providers (Garmin, Oura, Whoop): a user's connection with its OAuth tokens sealed (AES-GCM, key from
-- configuration), the jobs that backfill and poll them (claimed with FOR UPDATE SKIP LOCKED so any number of
-- server processes share the work), the stored version of every provider record (so a corrected record replaces
-- every item of the earlier one), and the providers' own daily totals, kept apart from samples so they are never
-- summed with intraday data.

CREATE TABLE provider_connections (
    user_id          bigint NOT NULL REFERENCES users (id),
    provider         text NOT NULL,            -- GARMIN, OURA, WHOOP
    provider_user_id text NOT NULL,            -- the provider's id of the user: webhooks name users by it
    status           text NOT NULL,            -- CONNECTED, REAUTHORIZE (token refused), DISCONNECTED
    scopes           text NOT NULL DEFAULT '',
    token_sealed     bytea,                    -- NULL once disconnected
    token_expiry     timestamptz,
    connected_at     timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    last_sync_at     timestamptz,
    last_error       text,
    PRIMARY KEY (user_id, provider)
);
-- Webhooks arrive without a user: they are routed by the provider's user id.
CREATE INDEX provider_connections_provider_user ON provider_connections (provider, provider_user_id);

CREATE TABLE provider_jobs (
    user_id      bigint NOT NULL,
    job_id       bigint GENERATED ALWAYS AS IDENTITY,
    provider     text NOT NULL,
    kind         text NOT NULL,                -- BACKFILL, POLL, FETCH_RECORD
    data_type    text NOT NULL,                -- the provider's data type
    window_from  timestamptz,                  -- BACKFILL/POLL: what is still to fetch
    window_to    timestamptz,
    window_total_days integer NOT NULL DEFAULT 0,
    record_id    text,                         -- FETCH_RECORD
    status       text NOT NULL,                -- QUEUED, RUNNING, DONE, FAILED, CANCELLED
    attempts     integer NOT NULL DEFAULT 0,
    run_at       timestamptz NOT NULL,
    leased_until timestamptz,                  -- a RUNNING job whose lease ran out (crashed worker) is taken again
    last_error   text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, job_id)
);
CREATE INDEX provider_jobs_due ON provider_jobs (run_at) WHERE status IN ('QUEUED', 'RUNNING');

CREATE TABLE provider_records (
    user_id      bigint NOT NULL,
    provider     text NOT NULL,
    data_type    text NOT NULL,
    record_id    text NOT NULL,
    revision     integer NOT NULL,             -- bumped on every change of content; part of the item ids
    content_hash bytea NOT NULL,
    item_ids     text[] NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, provider, data_type, record_id)
);

CREATE TABLE daily_totals (
    user_id     bigint NOT NULL,
    metric      text NOT NULL,
    day         date NOT NULL,                 -- the local calendar day the provider computed the total for
    source_id   bigint NOT NULL,
    value       double precision NOT NULL,     -- canonical unit
    orig_value  double precision NOT NULL,
    orig_unit   text NOT NULL,
    time_zone   text,
    provider    text NOT NULL,
    record_id   text NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, metric, day, source_id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON provider_connections, provider_jobs, provider_records, daily_totals
TO healthsync_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO healthsync_app;

-- Records and totals belong to one user like every other table. Connections and jobs are also read by work that
-- has no user yet (a webhook finds its user by the provider's id; a worker claims the next due job of any user):
-- such transactions name the system scope (healthsync.scope = 'system', set only by db.Store.InSystemTx).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['provider_records', 'daily_totals'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant ON %I
            USING (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint)
            WITH CHECK (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint)$p$, t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['provider_connections', 'provider_jobs'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant ON %I
            USING (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint
                   OR current_setting('healthsync.scope', true) = 'system')
            WITH CHECK (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint
                   OR current_setting('healthsync.scope', true) = 'system')$p$, t);
    END LOOP;
END
$$;
