-- oauth_tickets keyed like every other user table, user_id first: a distributed PostgreSQL (Citus) shards by
-- user_id and only enforces keys that contain it. The ticket is spent with the user it was issued to (the signed
-- state carries it), so the lookup names the user anyway; a ticket id is random, unique per user is enough.
ALTER TABLE oauth_tickets DROP CONSTRAINT oauth_tickets_pkey;
ALTER TABLE oauth_tickets ADD PRIMARY KEY (user_id, ticket_id);
