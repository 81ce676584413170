-- Tenant isolation in the database itself: every table holding a user_id only shows and accepts the rows of the
-- user the transaction names (healthsync.user_id, set by db.Store.InUserTx), so a missing WHERE in some future
-- query leaks nothing.
--
-- Policies do not bind the tables' owner unless FORCEd, and never bind superusers or BYPASSRLS roles, which is
-- what the server usually connects as. So user transactions switch to healthsync_app (SET LOCAL ROLE), a NOLOGIN
-- role that owns nothing and may only read and write rows. Migrations, the users directory and test setup keep
-- running as the connecting role.
--
-- Roles are cluster-wide while this file runs once per database (tests clone many databases in one cluster, and
-- several may migrate at once), hence the existence check and the duplicate_object guard.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'healthsync_app') THEN
        CREATE ROLE healthsync_app NOLOGIN NOSUPERUSER NOINHERIT NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database's migration created it first
END
$$;

-- SET ROLE needs membership; superusers have it implicitly, a non-superuser owner gets it here.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, 'healthsync_app', 'MEMBER') THEN
        EXECUTE format('GRANT healthsync_app TO %I', current_user);
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO healthsync_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    devices, sources, samples, category_samples, workouts, deletions, sync_state, idempotency_keys,
    sample_hourly, source_priority
TO healthsync_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO healthsync_app;

-- NULLIF: once a session has set the variable in any transaction, it reads '' (not NULL) afterwards; both mean
-- "no user" and must match no row rather than fail on the cast.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['devices', 'sources', 'samples', 'category_samples', 'workouts', 'deletions',
                             'sync_state', 'idempotency_keys', 'sample_hourly', 'source_priority'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant ON %I
            USING (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint)
            WITH CHECK (user_id = NULLIF(current_setting('healthsync.user_id', true), '')::bigint)$p$, t);
    END LOOP;
END
$$;

-- Tables added by later migrations get the same grants; the row-level security test fails for any of them that
-- holds a user_id without a policy.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO healthsync_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO healthsync_app;
