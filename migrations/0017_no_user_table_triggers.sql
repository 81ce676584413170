-- No triggers on user tables: Citus cannot distribute a table that has triggers, and this one's DELETE could not
-- run on the shards anyway. The statements that change sample_hourly forget the cached days they touch
-- themselves, in the same statement (db.forgetDaysSQL), so the cache stays as fresh as the trigger kept it.
DROP TRIGGER day_buckets_forget_insert ON sample_hourly;
DROP TRIGGER day_buckets_forget_update ON sample_hourly;
DROP TRIGGER day_buckets_forget_delete ON sample_hourly;
DROP FUNCTION day_buckets_forget();
