package db

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/devtools/dbtest"
)

func TestMain(m *testing.M) {
	dbtest.Main(m, func(ctx context.Context, d *sqlx.DB) error {
		_, err := Migrate(ctx, d, nil)
		return err
	})
}

// Every table that holds a user_id must bind every role but superusers to the transaction's user: a new table
// without ENABLE + FORCE and a policy fails here, whoever adds it.
func TestEveryUserTableHasForcedRowLevelSecurity(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	var tables []struct {
		Name     string `db:"name"`
		Enabled  bool   `db:"enabled"`
		Forced   bool   `db:"forced"`
		Policies int    `db:"policies"`
		Commands string `db:"commands"`
	}
	if err := d.SelectContext(ctx, &tables, `
		SELECT c.table_name AS name, k.relrowsecurity AS enabled, k.relforcerowsecurity AS forced,
		       (SELECT count(*) FROM pg_policies p WHERE p.schemaname = c.table_schema AND p.tablename = c.table_name) AS policies,
		       coalesce((SELECT string_agg(p.cmd || ':' || coalesce(p.qual, '') || ':' || coalesce(p.with_check, ''), ' | ')
		                 FROM pg_policies p WHERE p.schemaname = c.table_schema AND p.tablename = c.table_name), '') AS commands
		FROM information_schema.columns c
		JOIN pg_class k ON k.oid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass
		WHERE c.column_name = 'user_id' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
		  AND k.relkind IN ('r', 'p')
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tb := range tables {
		seen[tb.Name] = true
		if !tb.Enabled || !tb.Forced {
			t.Errorf("%s: row-level security enabled=%v forced=%v, want both", tb.Name, tb.Enabled, tb.Forced)
		}
		if tb.Policies == 0 {
			t.Errorf("%s: no policy", tb.Name)
		}
		// Every policy must name the transaction's user, for reads (USING) and for writes (WITH CHECK).
		for _, p := range strings.Split(tb.Commands, " | ") {
			if strings.Count(p, "healthsync.user_id") < 2 && !strings.HasPrefix(p, "SELECT:") {
				t.Errorf("%s: policy %q does not check healthsync.user_id for both reads and writes", tb.Name, p)
			}
		}
	}
	// The query itself must find the tables, or the checks above prove nothing.
	for _, want := range []string{"samples", "category_samples", "workouts", "deletions", "devices", "sources",
		"sync_state", "idempotency_keys", "sample_hourly", "source_priority"} {
		if !seen[want] {
			t.Errorf("table %s with user_id not found by the check", want)
		}
	}
}

// Every primary key and unique constraint of a table that holds a user_id starts with user_id: the policies
// then filter on an index's first column, and a distributed PostgreSQL (Citus) can shard every table by user.
func TestEveryUserKeyStartsWithUserID(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	var keys []struct {
		Table string `db:"table_name"`
		Name  string `db:"conname"`
		First string `db:"first_column"`
	}
	if err := d.SelectContext(context.Background(), &keys, `
		SELECT k.relname AS table_name, con.conname, a.attname AS first_column
		FROM pg_constraint con
		JOIN pg_class k ON k.oid = con.conrelid
		JOIN pg_namespace n ON n.oid = k.relnamespace
		JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
		WHERE con.contype IN ('p', 'u') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND EXISTS (SELECT 1 FROM pg_attribute u WHERE u.attrelid = k.oid AND u.attname = 'user_id' AND NOT u.attisdropped)
		ORDER BY 1, 2`); err != nil {
		t.Fatal(err)
	}
	if len(keys) < 10 {
		t.Fatalf("found %d keys of user tables, want the samples, workouts, sources... keys at least", len(keys))
	}
	for _, k := range keys {
		if k.First != "user_id" {
			t.Errorf("%s: key %s starts with %s, want user_id first", k.Table, k.Name, k.First)
		}
	}
}

// The role user transactions run as must be bound by the policies: not a superuser, no BYPASSRLS, owning no
// table.
func TestAppRoleCannotBypassPolicies(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	var r struct {
		Super  bool `db:"rolsuper"`
		Bypass bool `db:"rolbypassrls"`
		Login  bool `db:"rolcanlogin"`
		Owns   int  `db:"owns"`
	}
	if err := d.Get(&r, `SELECT rolsuper, rolbypassrls, rolcanlogin,
		(SELECT count(*) FROM pg_class c WHERE c.relowner = pg_roles.oid) AS owns
		FROM pg_roles WHERE rolname = $1`, AppRole); err != nil {
		t.Fatal(err)
	}
	// On Citus the role logs in (Citus connects to the workers as it; see db/citus.go), without a password.
	if r.Super || r.Bypass || (r.Login && !dbtest.OnCitus()) || r.Owns != 0 {
		t.Fatalf("%s: super=%v bypassrls=%v login=%v owns %d relations", AppRole, r.Super, r.Bypass, r.Login, r.Owns)
	}
	store := New(d, Options{})
	var who string
	if err := store.InUserTx(context.Background(), 1, func(tx *Tx) error {
		return tx.tx.Get(&who, `SELECT current_user`)
	}); err != nil {
		t.Fatal(err)
	}
	if who != AppRole {
		t.Fatalf("user transaction runs as %q, want %q", who, AppRole)
	}
	// The role is transaction-local: the pooled connection is the owner again afterwards.
	if err := d.Get(&who, `SELECT current_user`); err != nil {
		t.Fatal(err)
	}
	if who == AppRole {
		t.Fatal("the role leaked out of the user transaction")
	}
}

// seedTwoUsers stores one row per user-data table for two users, as the owner (bypassing the policies).
func seedTwoUsers(t *testing.T, d *sqlx.DB) (a, b int64) {
	t.Helper()
	if err := d.Get(&a, `INSERT INTO users (subject) VALUES ('alice') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&b, `INSERT INTO users (subject) VALUES ('bob') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	for _, u := range []int64{a, b} {
		for _, q := range seedRows {
			if _, err := d.Exec(q, u); err != nil {
				t.Fatalf("seed %q: %v", q, err)
			}
		}
	}
	return a, b
}

// seedRows insert one row of each user-data table for the user $1, with ids of their own.
var seedRows = []string{
	`INSERT INTO devices (user_id, device_id, provider, first_seen, last_seen) VALUES ($1::bigint, 'd', 'APPLE_HEALTH', now(), now())`,
	`INSERT INTO sources (user_id, provider, source_key, name, first_seen, last_seen) VALUES ($1::bigint, 'APPLE_HEALTH', 'k', 'n', now(), now())`,
	`INSERT INTO samples (user_id, sample_id, metric, source_id, device_id, start_time, end_time, value, orig_value, orig_unit)
			 VALUES ($1::bigint, 's-' || $1::bigint, 'steps', 1, 'd', now(), now(), 1, 1, 'count')`,
	`INSERT INTO category_samples (user_id, sample_id, category, value, orig_value, source_id, device_id, start_time, end_time)
			 VALUES ($1::bigint, 'c-' || $1::bigint, 'sleep', 'core', 'core', 1, 'd', now(), now())`,
	`INSERT INTO workouts (user_id, workout_id, activity_type, orig_activity_type, source_id, device_id, start_time, end_time, duration_s)
			 VALUES ($1::bigint, 'w-' || $1::bigint, 'running', 'running', 1, 'd', now(), now(), 0)`,
	`INSERT INTO deletions (user_id, item_id) VALUES ($1::bigint, 'x-' || $1::bigint)`,
	`INSERT INTO sync_state (user_id, device_id, data_type, last_upload_at) VALUES ($1::bigint, 'd', 'steps', now())`,
	`INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1::bigint, 'k', '\x00')`,
	`INSERT INTO sample_hourly (user_id, metric, source_id, hour, n, sum_start, prorated) VALUES ($1::bigint, 'steps', 1, date_trunc('hour', now()), 1, 1, 1)`,
	`INSERT INTO source_priority (user_id, metric, source_ids) VALUES ($1::bigint, '', '{1}')`,
}

var userTables = []string{"devices", "sources", "samples", "category_samples", "workouts", "deletions", "sync_state",
	"idempotency_keys", "sample_hourly", "source_priority"}

// A statement that runs as the application role without naming a user sees nothing and writes nothing, whether
// the setting was never made in the session or was left empty by an earlier transaction.
func TestNoUserSeesNothing(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	seedTwoUsers(t, d)
	conn, err := d.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	check := func(stage string) {
		t.Helper()
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.Exec(`SET LOCAL ROLE ` + AppRole); err != nil {
			t.Fatal(err)
		}
		for _, tb := range userTables {
			var n int
			if err := tx.Get(&n, `SELECT count(*) FROM `+tb); err != nil {
				t.Fatalf("%s: count %s: %v", stage, tb, err)
			}
			if n != 0 {
				t.Errorf("%s: %s shows %d rows to a transaction without a user", stage, tb, n)
			}
		}
		if _, err := tx.Exec(`SAVEPOINT w`); err != nil {
			t.Fatal(err)
		}
		_, err = tx.Exec(`INSERT INTO deletions (user_id, item_id) VALUES (1, 'sneaky')`)
		if err == nil || !strings.Contains(err.Error(), "row-level security") {
			t.Errorf("%s: insert without a user: err = %v, want a row-level security violation", stage, err)
		}
	}
	check("never set")
	// A transaction-local set leaves the variable defined but empty for the rest of the session.
	if _, err := conn.ExecContext(ctx, `SELECT set_config('healthsync.user_id', '1', true)`); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := conn.GetContext(ctx, &v, `SELECT coalesce(current_setting('healthsync.user_id', true), '<null>')`); err != nil {
		t.Fatal(err)
	}
	check("left empty (" + v + ")")
	// And the owner, outside any user transaction, still sees everything: the seeding above is not a no-op.
	var n int
	if err := d.Get(&n, `SELECT count(*) FROM samples`); err != nil || n != 2 {
		t.Fatalf("owner sees %d samples (%v), want 2", n, err)
	}
}

// Inside A's transaction nothing of B's is visible, and no statement can write or change B's rows, even one
// that names B explicitly.
func TestUserTxSeesOnlyItsUser(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	a, b := seedTwoUsers(t, d)
	store := New(d, Options{StatementTimeout: 10 * time.Second})
	err := store.InUserTx(ctx, a, func(tx *Tx) error {
		for _, tb := range userTables {
			var total, mine int
			if err := tx.tx.Get(&total, `SELECT count(*) FROM `+tb); err != nil {
				t.Fatalf("count %s: %v", tb, err)
			}
			if err := tx.tx.Get(&mine, `SELECT count(*) FROM `+tb+` WHERE user_id = $1`, a); err != nil {
				t.Fatal(err)
			}
			if total != 1 || mine != 1 {
				t.Errorf("%s: A's transaction sees %d rows (%d its own), want exactly its 1", tb, total, mine)
			}
			res, err := tx.tx.Exec(`UPDATE `+tb+` SET user_id = user_id WHERE user_id = $1`, b)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n != 0 {
				t.Errorf("%s: A's transaction updated %d of B's rows", tb, n)
			}
			res, err = tx.tx.Exec(`DELETE FROM `+tb+` WHERE user_id = $1`, b)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n != 0 {
				t.Errorf("%s: A's transaction deleted %d of B's rows", tb, n)
			}
		}
		// Inserting rows for B is refused on every table (the rows are new: only the policy can refuse them).
		for _, q := range seedRows {
			if _, err := tx.tx.Exec(`SAVEPOINT w`); err != nil {
				return err
			}
			planted := strings.NewReplacer(`'s-'`, `'planted-s-'`, `'c-'`, `'planted-c-'`, `'w-'`, `'planted-w-'`,
				`'x-'`, `'planted-x-'`, `'d', 'steps'`, `'d2', 'steps'`, `'k', '\x00'`, `'k2', '\x00'`,
				`'k', 'n'`, `'k2', 'n'`, `'d', 'APPLE_HEALTH'`, `'d2', 'APPLE_HEALTH'`,
				`date_trunc('hour', now())`, `date_trunc('hour', now()) - interval '1 hour'`,
				`VALUES ($1::bigint, '', '{1}')`, `VALUES ($1::bigint, 'steps', '{1}')`).Replace(q)
			if _, err := tx.tx.Exec(planted, b); err == nil {
				t.Errorf("A's transaction inserted a row for B: %s", planted)
			} else if !strings.Contains(err.Error(), "row-level security") {
				t.Errorf("inserting for B failed, but not by the policy (%v): %s", err, planted)
			}
			if _, err := tx.tx.Exec(`ROLLBACK TO SAVEPOINT w`); err != nil {
				return err
			}
		}
		// Moving one's own row to B is refused too.
		if _, err := tx.tx.Exec(`UPDATE deletions SET user_id = $1`, b); err == nil {
			t.Error("A's transaction moved a row to B")
		}
		return nil
	})
	if err == nil {
		t.Fatal("the failed statement should have aborted the transaction")
	}
	for _, tb := range userTables {
		var n int
		if err := d.Get(&n, `SELECT count(*) FROM `+tb+` WHERE user_id = $1`, b); err != nil || n != 1 {
			t.Errorf("%s: B has %d rows after A's attempts (%v), want 1", tb, n, err)
		}
	}
}

// Deployments where the tables' owner is an ordinary role (with CREATEROLE) rather than a superuser: migrations
// run as that owner, grant it membership in the application role, and user transactions are bound by the
// policies all the same (FORCE makes them apply to the owner as well).
func TestMigrateAsNonSuperuserOwner(t *testing.T) {
	t.Parallel()
	admin := dbtest.New(t)
	dsn := dbtest.NewDSN(t)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		t.Skip("needs a key=value DSN to switch user")
	}
	ctx := context.Background()
	var suffix string
	if err := admin.Get(&suffix, `SELECT substr(md5(random()::text), 1, 10)`); err != nil {
		t.Fatal(err)
	}
	owner, dbName := "hs_owner_"+suffix, "hs_owned_"+suffix
	for _, q := range []string{
		`CREATE ROLE ` + owner + ` LOGIN CREATEROLE NOSUPERUSER`,
		`CREATE DATABASE ` + dbName + ` OWNER ` + owner + ` TEMPLATE template0`,
	} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		admin.Exec(`DROP DATABASE IF EXISTS ` + dbName + ` WITH (FORCE)`)
		admin.Exec(`DROP ROLE IF EXISTS ` + owner)
	})
	d, err := sqlx.Open("postgres", dsn+" user="+owner+" dbname="+dbName)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(`ALTER SCHEMA public OWNER TO ` + owner); err != nil {
		// PostgreSQL 15 gives public to pg_database_owner, which the owner already is.
		t.Logf("schema owner: %v", err)
	}
	if _, err := Migrate(ctx, d, nil); err != nil {
		t.Fatalf("migrate as %s: %v", owner, err)
	}
	store := New(d, Options{})
	alice, err := store.EnsureUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := store.EnsureUser(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []int64{alice.ID, bob.ID} {
		if err := store.InUserTx(ctx, u, func(tx *Tx) error {
			_, err := tx.tx.Exec(`INSERT INTO deletions (user_id, item_id) VALUES ($1, 'x')`, u)
			return err
		}); err != nil {
			t.Fatalf("write as user %d: %v", u, err)
		}
	}
	var seen int
	if err := store.InUserTx(ctx, alice.ID, func(tx *Tx) error {
		return tx.tx.Get(&seen, `SELECT count(*) FROM deletions`)
	}); err != nil || seen != 1 {
		t.Fatalf("alice's transaction sees %d tombstones (%v), want her 1", seen, err)
	}
	// FORCE binds the owner too: outside a user transaction it sees nothing.
	if err := d.Get(&seen, `SELECT count(*) FROM deletions`); err != nil || seen != 0 {
		t.Fatalf("the owner without a user sees %d rows (%v), want 0", seen, err)
	}
}

// A server role that may not create anything still starts: with nothing pending, Migrate only reads.
func TestMigrateWithNothingPendingNeedsNoCreatePrivilege(t *testing.T) {
	t.Parallel()
	admin := dbtest.New(t)
	dsn := dbtest.NewDSN(t)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		t.Skip("needs a key=value DSN to switch user")
	}
	var suffix, dbName string
	if err := admin.Get(&suffix, `SELECT substr(md5(random()::text), 1, 10)`); err != nil {
		t.Fatal(err)
	}
	if err := admin.Get(&dbName, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	server := "hs_server_" + suffix
	for _, q := range []string{
		`CREATE ROLE ` + server + ` LOGIN NOSUPERUSER`,
		`GRANT healthsync_app TO ` + server,
		`GRANT SELECT ON schema_migrations TO ` + server,
		`REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
	} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		admin.Exec(`DROP OWNED BY ` + server)
		admin.Exec(`DROP ROLE IF EXISTS ` + server)
	})
	d, err := sqlx.Open("postgres", dsn+" user="+server+" dbname="+dbName)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(`CREATE TABLE probe (x int)`); err == nil {
		t.Fatal("the role can create tables; the test would prove nothing")
	}
	if n, err := Migrate(context.Background(), d, nil); err != nil || n != 0 {
		t.Fatalf("migrate as a role without CREATE: applied %d, %v", n, err)
	}
}

// No table holding a user_id has a trigger: Citus cannot distribute a table with triggers, so the cache upkeep
// they did is done by the statements themselves.
func TestNoTriggersOnUserTables(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	var found []string
	if err := d.SelectContext(context.Background(), &found, `
		SELECT c.relname || '.' || tg.tgname
		FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE NOT tg.tgisinternal AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND EXISTS (SELECT 1 FROM pg_attribute u WHERE u.attrelid = c.oid AND u.attname = 'user_id' AND NOT u.attisdropped)
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Fatalf("triggers on user tables: %v", found)
	}
}
