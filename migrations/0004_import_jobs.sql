-- Background imports of whole exports (Apple Health export.zip / export.xml) uploaded in chunks through GraphQL:
-- the job with its progress and final counts, and the uploaded bytes until the import has read them.
CREATE TABLE import_jobs (
    user_id        bigint NOT NULL,
    job_id         bigint GENERATED ALWAYS AS IDENTITY,
    kind           text NOT NULL,             -- 'apple-export'
    file_name      text,
    status         text NOT NULL,             -- UPLOADING, QUEUED, RUNNING, DONE, FAILED
    bytes_total    bigint NOT NULL,
    bytes_uploaded bigint NOT NULL DEFAULT 0,
    bytes_done     bigint NOT NULL DEFAULT 0, -- of the export.xml the import reads (uncompressed for a zip)
    bytes_to_read  bigint NOT NULL DEFAULT 0,
    records_read   bigint NOT NULL DEFAULT 0,
    accepted       bigint NOT NULL DEFAULT 0,
    duplicates     bigint NOT NULL DEFAULT 0,
    updated        bigint NOT NULL DEFAULT 0,
    rejected       bigint NOT NULL DEFAULT 0,
    unknown        bigint NOT NULL DEFAULT 0,
    skipped        bigint NOT NULL DEFAULT 0,
    details        jsonb,                     -- unknown types, rejections by code, skipped elements
    error          text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    PRIMARY KEY (user_id, job_id)
);

CREATE TABLE import_chunks (
    user_id      bigint NOT NULL,
    job_id       bigint NOT NULL,
    offset_bytes bigint NOT NULL,
    data         bytea NOT NULL,
    PRIMARY KEY (user_id, job_id, offset_bytes)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON import_jobs, import_chunks TO healthsync_app;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['import_jobs', 'import_chunks'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant ON %I
            USING (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint)
            WITH CHECK (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint)$p$, t);
    END LOOP;
END
$$;
