-- A user's rights over their data (GDPR articles 15, 17 and 20): erasure jobs, which are also the record of each
-- erasure (when, asked by which token, how many rows per table; no health data), and export jobs with the zip
-- they produce, stored in chunks so that any server process can serve the download and an erasure removes it
-- with the rest. Both job tables are claimed with FOR UPDATE SKIP LOCKED in the system scope, like provider_jobs.
CREATE TABLE erasures (
    user_id           bigint NOT NULL REFERENCES users (id),
    erasure_id        bigint GENERATED ALWAYS AS IDENTITY,
    status            text NOT NULL,             -- PENDING (in its grace period), RUNNING, DONE, CANCELLED
    requested_at      timestamptz NOT NULL,
    run_after         timestamptz NOT NULL,      -- the end of the grace period
    requested_subject text NOT NULL,             -- the token's subject and jti that asked for it
    requested_jti     text,
    started_at        timestamptz,               -- also the erasure epoch: data dated before it is never taken back
    finished_at       timestamptz,
    leased_until      timestamptz,               -- a RUNNING erasure whose lease ran out (crashed worker) is taken again
    attempts          integer NOT NULL DEFAULT 0,
    rows_erased       jsonb NOT NULL DEFAULT '{}', -- table name -> rows deleted, summed over resumed runs
    last_error        text,
    PRIMARY KEY (user_id, erasure_id)
);
CREATE INDEX erasures_due ON erasures (run_after) WHERE status IN ('PENDING', 'RUNNING');

CREATE TABLE exports (
    user_id      bigint NOT NULL REFERENCES users (id),
    export_id    bigint GENERATED ALWAYS AS IDENTITY,
    format       text NOT NULL,                  -- NDJSON_ZIP
    status       text NOT NULL,                  -- QUEUED, RUNNING, DONE, FAILED
    rows_done    bigint NOT NULL DEFAULT 0,
    rows_total   bigint NOT NULL DEFAULT 0,
    bytes        bigint NOT NULL DEFAULT 0,
    counts       jsonb NOT NULL DEFAULT '{}',
    attempts     integer NOT NULL DEFAULT 0,
    leased_until timestamptz,
    error        text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    PRIMARY KEY (user_id, export_id)
);
CREATE INDEX exports_due ON exports (created_at) WHERE status IN ('QUEUED', 'RUNNING');

CREATE TABLE export_chunks (
    user_id   bigint NOT NULL,
    export_id bigint NOT NULL,
    seq       integer NOT NULL,
    data      bytea NOT NULL,
    PRIMARY KEY (user_id, export_id, seq)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON erasures, exports, export_chunks TO healthsync_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO healthsync_app;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['erasures', 'exports'] LOOP
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
ALTER TABLE export_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE export_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON export_chunks
    USING (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint)
    WITH CHECK (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint);
