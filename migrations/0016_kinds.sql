-- The kinds that are neither a number nor a category: iOS 18 State of Mind, ECG recordings and medication dose
-- events. Each keeps the envelope every item has (source, device, times, zone, version, metadata) beside its
-- own columns, is keyed by (user_id, item_id) like the rest, and is deleted and tombstoned by item id.

CREATE TABLE state_of_mind (
    user_id        bigint NOT NULL,
    item_id        text NOT NULL,
    source_id      bigint NOT NULL,
    device_id      text NOT NULL,
    start_time     timestamptz NOT NULL,
    end_time       timestamptz NOT NULL,
    time_zone      text,
    version        bigint NOT NULL DEFAULT 0,
    metadata       jsonb,
    kind           text NOT NULL,             -- momentary_emotion | daily_mood
    valence        double precision NOT NULL, -- -1 (very unpleasant) .. 1 (very pleasant)
    classification text NOT NULL,             -- very_unpleasant .. very_pleasant
    labels         text[] NOT NULL DEFAULT '{}',
    associations   text[] NOT NULL DEFAULT '{}',
    ingested_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, item_id)
);
CREATE INDEX state_of_mind_user_start ON state_of_mind (user_id, start_time);

-- One row per recording: the voltages are one real[] (a 30 s recording at 512 Hz is ~15k points, 60 kB),
-- never a row per point.
CREATE TABLE ecg_recordings (
    user_id            bigint NOT NULL,
    item_id            text NOT NULL,
    source_id          bigint NOT NULL,
    device_id          text NOT NULL,
    start_time         timestamptz NOT NULL,
    end_time           timestamptz NOT NULL,
    time_zone          text,
    version            bigint NOT NULL DEFAULT 0,
    metadata           jsonb,
    classification     text NOT NULL,
    average_heart_rate double precision,
    symptoms_status    text NOT NULL,
    sampling_hz        double precision NOT NULL,
    voltages_uv        real[] NOT NULL,       -- microvolts, one per 1/sampling_hz from start_time
    ingested_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, item_id)
);
CREATE INDEX ecg_recordings_user_start ON ecg_recordings (user_id, start_time);

CREATE TABLE medication_doses (
    user_id          bigint NOT NULL,
    item_id          text NOT NULL,
    source_id        bigint NOT NULL,
    device_id        text NOT NULL,
    start_time       timestamptz NOT NULL,    -- when the dose was logged
    end_time         timestamptz NOT NULL,
    time_zone        text,
    version          bigint NOT NULL DEFAULT 0,
    metadata         jsonb,
    medication       text NOT NULL,           -- the concept's display name
    concept_id       text,
    codes            jsonb,                   -- [{"system": "RxNorm", "code": "..."}]
    dose             double precision,
    dose_unit        text,
    status           text NOT NULL,           -- taken | skipped | snoozed | not_interacted | ...
    scheduled_time   timestamptz,
    ingested_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, item_id)
);
CREATE INDEX medication_doses_user_start ON medication_doses (user_id, start_time);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['state_of_mind', 'ecg_recordings', 'medication_doses'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant ON %I
            USING (user_id = (SELECT NULLIF(current_setting('healthsync.user_id', true), '')::bigint))
            WITH CHECK (user_id = (SELECT NULLIF(current_setting('healthsync.user_id', true), '')::bigint))$p$, t);
    END LOOP;
END
$$;
