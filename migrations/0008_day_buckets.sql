-- Local-day totals of a metric, per user: what a year of a daily chart or a month of a home page reads instead of
-- summing 8,760 hourly rows per source on every request.
--
-- A row is keyed by the bucket's UTC interval [bucket_start, bucket_end), not by a date and a zone: a local day of
-- any zone whose day edges fall on UTC hours (every whole-hour zone, on DST days too: 23 or 25 hours) is exactly
-- the sum of the hourly aggregate's hours inside it, so one table serves every such zone, and days clipped by a
-- request's range are just shorter intervals. Buckets are at most 26 hours long (the longest local day is 25).
--
-- It is a cache: reads compute the rows they lack from sample_hourly (and merged_hourly) under the user's merged
-- fill lock and store them; every change of sample_hourly removes the rows of the days it touched (trigger below),
-- in the writing transaction, so a row is never older than the data it sums.
--   n, sum_start, min_value, max_value, prorated: sample_hourly summed over the bucket's hours, all sources;
--   merged: the priority-merged total (merged_hourly summed); NULL until a merged read first needs it.
CREATE TABLE day_buckets (
    user_id      bigint NOT NULL,
    metric       text NOT NULL,
    bucket_start timestamptz NOT NULL,
    bucket_end   timestamptz NOT NULL,
    n            bigint NOT NULL,
    sum_start    double precision NOT NULL,
    min_value    double precision,
    max_value    double precision,
    prorated     double precision NOT NULL,
    merged       double precision,
    PRIMARY KEY (user_id, metric, bucket_start, bucket_end),
    CHECK (bucket_end > bucket_start AND bucket_end - bucket_start <= interval '26 hours')
);

GRANT SELECT, INSERT, UPDATE, DELETE ON day_buckets TO healthsync_app;
ALTER TABLE day_buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE day_buckets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON day_buckets
    USING (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint)
    WITH CHECK (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint);

-- One statement per write, whatever its size: the changed hours arrive as a transition table. The bounds on
-- bucket_start keep it an index range per hour. Runs as the writer (healthsync_app), so the policy applies.
CREATE FUNCTION day_buckets_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM day_buckets b
    USING (SELECT DISTINCT user_id, metric, hour FROM changed_hours) c
    WHERE b.user_id = c.user_id AND b.metric = c.metric
        AND b.bucket_start <= c.hour AND b.bucket_start > c.hour - interval '26 hours' AND b.bucket_end > c.hour;
    RETURN NULL;
END
$$;

-- A trigger with a transition table names one event, hence three.
CREATE TRIGGER day_buckets_forget_insert AFTER INSERT ON sample_hourly
    REFERENCING NEW TABLE AS changed_hours FOR EACH STATEMENT EXECUTE FUNCTION day_buckets_forget();
CREATE TRIGGER day_buckets_forget_update AFTER UPDATE ON sample_hourly
    REFERENCING NEW TABLE AS changed_hours FOR EACH STATEMENT EXECUTE FUNCTION day_buckets_forget();
CREATE TRIGGER day_buckets_forget_delete AFTER DELETE ON sample_hourly
    REFERENCING OLD TABLE AS changed_hours FOR EACH STATEMENT EXECUTE FUNCTION day_buckets_forget();
