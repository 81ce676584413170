-- A connection link (connectProvider's authorizeUrl) is a one-time ticket: the first browser that opens it spends
-- it and gets the cookie the OAuth callback then requires, so a link that leaks after the user opened it, or the
-- provider's authorization URL seen in a log or a Referer, cannot be completed by somebody else's browser. The
-- ticket is spent by a request that carries no token, so in the system scope (as webhooks and job claims).
CREATE TABLE oauth_tickets (
    ticket_id  text PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    provider   text NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX oauth_tickets_expires ON oauth_tickets (expires_at);

GRANT SELECT, INSERT, DELETE ON oauth_tickets TO healthsync_app;

ALTER TABLE oauth_tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_tickets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON oauth_tickets
    USING (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint
           OR current_setting('healthsync.scope', true) = 'system')
    WITH CHECK (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint
           OR current_setting('healthsync.scope', true) = 'system');
