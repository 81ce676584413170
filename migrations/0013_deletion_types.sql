-- What a tombstone stood for: the deleted item's data type (canonical metric or category name, or 'workout') and
-- its start, so that upload digests (syncplan) can count a deleted id as held in its week and a reinstalled app
-- does not send it again. Filled by the deleting transaction from the rows it removed (DELETE ... RETURNING), not
-- by a trigger. Tombstones written before this migration, and deletions of ids the server never stored, have
-- neither (they still suppress a later upload of the id; they are just not part of any digest).
ALTER TABLE deletions ADD COLUMN data_type text, ADD COLUMN start_time timestamptz;

-- user_id first like every key of a user table; only typed tombstones are ever looked up this way.
CREATE INDEX deletions_user_type_start ON deletions (user_id, data_type, start_time) WHERE data_type IS NOT NULL;
