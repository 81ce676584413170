-- Outgoing webhooks (issue 16, part 2): a transactional outbox. The event row is written by the transaction
-- that changes the data it announces (so it commits or rolls back with it); a dispatcher in any server process
-- fans it out to the endpoints that want its type and delivers it, claiming deliveries with FOR UPDATE SKIP
-- LOCKED like provider jobs.
--
-- Endpoints belong to the deployment, not to a user: only the system scope (healthsync.scope = 'system', set
-- by db.Store.InSystemTx) sees them, so a user transaction can never read a signing secret.
CREATE TABLE webhook_endpoints (
    endpoint_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE,        -- the administrator's handle (configuration upserts by it)
    url            text NOT NULL,
    secrets        text[] NOT NULL,             -- whsec_<base64>; every one signs (rotation), the first is newest
    event_types    text[] NOT NULL,             -- empty: every type
    enabled        boolean NOT NULL DEFAULT true,
    include_values boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

-- An event of one user. fanned_out turns true once the dispatcher created its deliveries.
CREATE TABLE webhook_events (
    user_id    bigint NOT NULL,
    event_id   bigint GENERATED ALWAYS AS IDENTITY,
    type       text NOT NULL,
    payload    jsonb NOT NULL,                  -- the event's data, without health values
    vals       jsonb,                           -- health values, sent only to endpoints with include_values
    created_at timestamptz NOT NULL,
    fanned_out boolean NOT NULL DEFAULT false,
    PRIMARY KEY (user_id, event_id)
);
CREATE INDEX webhook_events_pending ON webhook_events (event_id) WHERE NOT fanned_out;
-- The claim's order check: an earlier event of the user not fanned out yet holds the later ones back.
CREATE INDEX webhook_events_pending_user ON webhook_events (user_id, event_id) WHERE NOT fanned_out;

-- One event to one endpoint: PENDING (due at next_attempt_at), DELIVERED, or DEAD (undelivered for the whole
-- retry period, redeliverable by an administrator). The period runs from when the delivery was queued, not from
-- its first attempt: a user's later events wait behind the earlier (order), and when a receiver stays down the
-- whole queue must reach the dead letter after three days, not one event every three days.
CREATE TABLE webhook_deliveries (
    user_id         bigint NOT NULL,
    event_id        bigint NOT NULL,
    endpoint_id     bigint NOT NULL REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
    status          text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    retry_since     timestamptz NOT NULL,       -- the retry period's start: queued (or redelivered) then
    last_status     integer,                    -- the receiver's HTTP status of the last attempt
    last_error      text,
    delivered_at    timestamptz,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (user_id, event_id, endpoint_id),
    FOREIGN KEY (user_id, event_id) REFERENCES webhook_events (user_id, event_id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
-- The order check (no earlier pending event of the same user for the same endpoint) and the admin listing.
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, user_id, event_id) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (updated_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints, webhook_events, webhook_deliveries TO healthsync_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO healthsync_app;

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY system_only ON webhook_endpoints
    USING (current_setting('healthsync.scope', true) = 'system')
    WITH CHECK (current_setting('healthsync.scope', true) = 'system');

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['webhook_events', 'webhook_deliveries'] LOOP
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
