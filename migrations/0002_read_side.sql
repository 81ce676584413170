-- Read side: an hourly aggregate kept in step with samples, and per-user source priorities.

-- Per user, metric, source and UTC hour. Maintained by the ingest transaction (added samples) and recomputed
-- for the touched hours when samples are deleted or replaced, so it always equals what the raw rows give.
--   n, sum_start, min_value, max_value: samples whose start falls in the hour (discrete statistics);
--   prorated: the hour's share of every sample overlapping it, each spread evenly over [start, end)
--             (a sample with start = end counts whole in its hour) – cumulative totals without double edges.
CREATE TABLE sample_hourly (
    user_id   bigint NOT NULL,
    metric    text NOT NULL,
    source_id bigint NOT NULL,
    hour      timestamptz NOT NULL,
    n         bigint NOT NULL,
    sum_start double precision NOT NULL,
    min_value double precision,
    max_value double precision,
    prorated  double precision NOT NULL,
    PRIMARY KEY (user_id, metric, hour, source_id)
);

-- The user's order of sources; metric '' is the order for every metric without its own.
CREATE TABLE source_priority (
    user_id    bigint NOT NULL REFERENCES users (id),
    metric     text NOT NULL,
    source_ids bigint[] NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, metric)
);

-- Backfill for databases that already hold samples.
INSERT INTO sample_hourly (user_id, metric, source_id, hour, n, sum_start, min_value, max_value, prorated)
SELECT s.user_id, s.metric, s.source_id, h.hour,
       count(*) FILTER (WHERE date_trunc('hour', s.start_time, 'UTC') = h.hour),
       coalesce(sum(s.value) FILTER (WHERE date_trunc('hour', s.start_time, 'UTC') = h.hour), 0),
       min(s.value) FILTER (WHERE date_trunc('hour', s.start_time, 'UTC') = h.hour),
       max(s.value) FILTER (WHERE date_trunc('hour', s.start_time, 'UTC') = h.hour),
       sum(CASE WHEN s.end_time = s.start_time THEN s.value
                ELSE s.value * extract(epoch FROM least(s.end_time, h.hour + interval '1 hour') - greatest(s.start_time, h.hour))
                             / extract(epoch FROM s.end_time - s.start_time) END)
FROM samples s
CROSS JOIN LATERAL generate_series(date_trunc('hour', s.start_time, 'UTC'),
    CASE WHEN s.end_time > s.start_time THEN date_trunc('hour', s.end_time - interval '1 microsecond', 'UTC')
         ELSE date_trunc('hour', s.start_time, 'UTC') END, interval '1 hour') AS h(hour)
GROUP BY 1, 2, 3, 4;
