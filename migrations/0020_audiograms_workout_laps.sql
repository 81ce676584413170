-- Audiograms (HKAudiogramSample) as a kind of their own, and the inside of a workout: its segments, laps and
-- events (pauses, resumes, markers).

-- One row per hearing test. The sensitivity points are one jsonb array (a test has 6 to ~20 frequencies, each
-- with up to four tests: left/right, masked or not), in canonical units: frequency in Hz, sensitivity in dBHL.
CREATE TABLE audiograms (
    user_id     bigint NOT NULL,
    item_id     text NOT NULL,
    source_id   bigint NOT NULL,
    device_id   text NOT NULL,
    start_time  timestamptz NOT NULL,
    end_time    timestamptz NOT NULL,
    time_zone   text,
    version     bigint NOT NULL DEFAULT 0,
    metadata    jsonb,
    points      jsonb NOT NULL,    -- [{"hz": 1000, "left": 10, "right": 5, "tests": [{"side", "conduction", "masked", "dbhl", "clampLower", "clampUpper"}]}]
    ingested_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, item_id)
);
CREATE INDEX audiograms_user_start ON audiograms (user_id, start_time);

ALTER TABLE audiograms ENABLE ROW LEVEL SECURITY;
ALTER TABLE audiograms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON audiograms
    USING (user_id = (SELECT NULLIF(current_setting('healthsync.user_id', true), '')::bigint))
    WITH CHECK (user_id = (SELECT NULLIF(current_setting('healthsync.user_id', true), '')::bigint));

-- Stored with the workout they belong to (read together, replaced together by a higher version, deleted
-- together): Health Connect ExerciseSession segments and laps, HealthKit workout activities and events.
-- NULL = the upload did not say; times are absolute, distances in metres.
ALTER TABLE workouts
    ADD COLUMN segments jsonb,        -- [{"start", "end", "type", "repetitions"}]
    ADD COLUMN laps     jsonb,        -- [{"start", "end", "distanceM"}]
    ADD COLUMN events   jsonb;        -- [{"type", "start", "end"}]  pause, resume, motion_paused, …
