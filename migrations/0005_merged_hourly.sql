-- Merged (priority) totals of cumulative metrics per user, metric and UTC hour: a cache filled by reads and
-- emptied for the touched hours by every write, so a year of merged steps is read, not recomputed.
-- Hours are independent: the winner of a stretch of time depends only on the samples covering it, so the sum of
-- hourly merged totals equals the merge over any range of whole hours.
CREATE TABLE merged_hourly (
    user_id bigint NOT NULL,
    metric  text NOT NULL,
    hour    timestamptz NOT NULL,
    value   double precision NOT NULL,
    PRIMARY KEY (user_id, metric, hour)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON merged_hourly TO healthsync_app;
ALTER TABLE merged_hourly ENABLE ROW LEVEL SECURITY;
ALTER TABLE merged_hourly FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON merged_hourly
    USING (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint)
    WITH CHECK (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint);
