-- The write path's schema. Every user-data table starts its primary key and unique constraints with user_id:
-- row-level security and, one day, distribution by user depend on it.

CREATE TABLE users (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject    text NOT NULL UNIQUE,           -- the JWT `sub`
    created_at timestamptz NOT NULL DEFAULT now()
);

-- An uploading app installation.
CREATE TABLE devices (
    user_id     bigint NOT NULL REFERENCES users (id),
    device_id   text NOT NULL,
    provider    text NOT NULL,
    model       text,
    os_version  text,
    app_version text,
    time_zone   text,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (user_id, device_id)
);

-- The app or device that produced samples (HKSourceRevision + HKDevice, Health Connect dataOrigin + device).
CREATE TABLE sources (
    user_id             bigint NOT NULL REFERENCES users (id),
    source_id           bigint GENERATED ALWAYS AS IDENTITY,
    provider            text NOT NULL,
    -- bundle id (or name when there is none) + device model + hardware version: what makes two sources different.
    source_key          text NOT NULL,
    name                text NOT NULL,
    bundle_id           text,
    version             text,
    product_type        text,
    device_name         text,
    device_model        text,
    device_manufacturer text,
    hardware_version    text,
    software_version    text,
    first_seen          timestamptz NOT NULL,
    last_seen           timestamptz NOT NULL,
    PRIMARY KEY (user_id, source_id),
    UNIQUE (user_id, provider, source_key)
);

-- Quantity samples, one row per sample; a Health Connect series record is one row per point (point_ms = the
-- point's time in Unix milliseconds, 0 for plain samples). No foreign keys here on purpose: this is the hot
-- ingest table and its user and source ids are written by the same transaction that created them.
CREATE TABLE samples (
    user_id      bigint NOT NULL,
    sample_id    text NOT NULL,
    point_ms     bigint NOT NULL DEFAULT 0,
    metric       text NOT NULL,
    source_id    bigint NOT NULL,
    device_id    text NOT NULL,
    start_time   timestamptz NOT NULL,
    end_time     timestamptz NOT NULL,
    value        double precision NOT NULL,   -- in the metric's canonical unit
    orig_value   double precision NOT NULL,   -- as uploaded, for audit
    orig_unit    text NOT NULL,
    time_zone    text,
    user_entered boolean NOT NULL DEFAULT false,
    version      bigint NOT NULL DEFAULT 0,
    metadata     jsonb,
    ingested_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, sample_id, point_ms)
);
CREATE INDEX samples_user_metric_start ON samples (user_id, metric, start_time);

CREATE TABLE category_samples (
    user_id      bigint NOT NULL,
    sample_id    text NOT NULL,
    category     text NOT NULL,
    value        text NOT NULL,               -- canonical value ('' for events and sessions)
    orig_value   text NOT NULL,
    source_id    bigint NOT NULL,
    device_id    text NOT NULL,
    start_time   timestamptz NOT NULL,
    end_time     timestamptz NOT NULL,
    time_zone    text,
    user_entered boolean NOT NULL DEFAULT false,
    version      bigint NOT NULL DEFAULT 0,
    metadata     jsonb,
    ingested_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, sample_id)
);
CREATE INDEX category_samples_user_category_start ON category_samples (user_id, category, start_time);

CREATE TABLE workouts (
    user_id            bigint NOT NULL,
    workout_id         text NOT NULL,
    activity_type      text NOT NULL,         -- canonical
    orig_activity_type text NOT NULL,
    source_id          bigint NOT NULL,
    device_id          text NOT NULL,
    start_time         timestamptz NOT NULL,
    end_time           timestamptz NOT NULL,
    duration_s         double precision NOT NULL,
    energy_kcal        double precision,
    distance_m         double precision,
    time_zone          text,
    version            bigint NOT NULL DEFAULT 0,
    metadata           jsonb,
    ingested_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, workout_id)
);
CREATE INDEX workouts_user_start ON workouts (user_id, start_time);

-- Tombstones: a deleted id stays deleted, so a late retry of an old batch cannot bring it back.
CREATE TABLE deletions (
    user_id    bigint NOT NULL,
    item_id    text NOT NULL,
    deleted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, item_id)
);

CREATE TABLE sync_state (
    user_id           bigint NOT NULL,
    device_id         text NOT NULL,
    data_type         text NOT NULL,          -- canonical metric or category name, or 'workout'
    cursor            text,
    newest_sample_end timestamptz,
    last_upload_at    timestamptz NOT NULL,
    last_data_at      timestamptz,
    item_count        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, device_id, data_type)
);

-- The stored answer per batch idempotency key, written in the batch's own transaction.
CREATE TABLE idempotency_keys (
    user_id      bigint NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
