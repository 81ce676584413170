-- Devices whose item ids are content hashes (Apple Health export imports, Health Auto Export) rather than the
-- platform's own ids. When a user has both kinds, a record can arrive twice under two ids; ingest then looks
-- for such twins by content.
ALTER TABLE devices ADD COLUMN content_ids boolean NOT NULL DEFAULT false;
