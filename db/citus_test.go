package db

import (
	"context"
	"strings"
	"testing"

	"healthsync/devtools/dbtest"
)

// On plain PostgreSQL the Citus step changes nothing: the 0012 policies keep their subquery and the foreign keys
// to users stay, also on a second Migrate.
func TestCitusStepIsANoOpOnPlainPostgreSQL(t *testing.T) {
	if dbtest.OnCitus() {
		t.Skip("about plain PostgreSQL; the Citus side is TestCitusStepDistributesEveryUserTable")
	}
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	snapshot := func() string {
		var s string
		if err := d.GetContext(ctx, &s, `
			SELECT (SELECT string_agg(tablename || ':' || coalesce(qual, ''), ' | ' ORDER BY tablename, policyname) FROM pg_policies)
			    || ' || ' ||
			       (SELECT string_agg(conrelid::regclass || ':' || conname, ' | ' ORDER BY 1) FROM pg_constraint WHERE contype = 'f')`); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := snapshot()
	if !strings.Contains(before, "sources:sources_user_id_fkey") || !strings.Contains(before, "SELECT") {
		t.Fatalf("the snapshot misses what it is meant to watch (the sources key, a 0012 subquery policy): %s", before)
	}
	applied, err := Migrate(ctx, d, nil)
	if err != nil || applied != 0 {
		t.Fatalf("second Migrate: applied %d, %v; want 0, nil", applied, err)
	}
	if after := snapshot(); after != before {
		t.Fatalf("Migrate on plain PostgreSQL changed policies or keys:\nbefore %s\nafter  %s", before, after)
	}
}

// On Citus every table with a user_id is distributed by it in one colocation group, the tables they reference
// are reference tables, the keys are back, no policy has a subquery, the application role may log in on every
// node (Citus connects to the workers as it) without a password, and a second Migrate is a no-op.
func TestCitusStepDistributesEveryUserTable(t *testing.T) {
	if !dbtest.OnCitus() {
		t.Skip("needs a Citus cluster: set " + dbtest.EnvCitus)
	}
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	if applied, err := Migrate(ctx, d, nil); err != nil || applied != 0 {
		t.Fatalf("second Migrate: applied %d, %v; want 0, nil", applied, err)
	}
	var tables []struct {
		Name string `db:"name"`
		Kind string `db:"kind"`
		Col  int    `db:"colocation"`
	}
	if err := d.SelectContext(ctx, &tables, `
		SELECT c.relname AS name,
		       CASE WHEN p.partmethod = 'h' THEN 'distributed' WHEN p.repmodel = 't' THEN 'reference'
		            WHEN p.logicalrelid IS NOT NULL THEN 'local' ELSE 'plain' END AS kind,
		       coalesce(p.colocationid, 0) AS colocation
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
		WHERE n.nspname = 'public' AND c.relkind = 'r'
		  AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'user_id' AND NOT a.attisdropped)
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	groups := map[int]bool{}
	for _, tb := range tables {
		if tb.Kind != "distributed" {
			t.Errorf("%s is %s, want distributed", tb.Name, tb.Kind)
		}
		groups[tb.Col] = true
	}
	if len(tables) < 25 || len(groups) != 1 {
		t.Errorf("%d user tables in %d colocation groups, want 25 or more in one", len(tables), len(groups))
	}
	for _, ref := range []string{"users", "webhook_endpoints"} {
		var repmodel string
		if err := d.GetContext(ctx, &repmodel, `SELECT repmodel FROM pg_dist_partition WHERE logicalrelid = $1::regclass`, ref); err != nil || repmodel != "t" {
			t.Errorf("%s: repmodel %q (%v), want a reference table", ref, repmodel, err)
		}
	}
	var keys int
	if err := d.GetContext(ctx, &keys, `SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = 'users'::regclass`); err != nil || keys < 6 {
		t.Errorf("%d foreign keys to users (%v), want the migrations' keys back", keys, err)
	}
	var sub int
	if err := d.GetContext(ctx, &sub, `SELECT count(*) FROM pg_policies WHERE qual ILIKE '%select%' OR with_check ILIKE '%select%'`); err != nil || sub != 0 {
		t.Errorf("%d policies with a subquery (%v), want none", sub, err)
	}
	var password bool
	if err := d.GetContext(ctx, &password, `SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = $1`, AppRole); err != nil || password {
		t.Errorf("%s has a password on the coordinator (%v), want none: the migration must not make it a client login", AppRole, err)
	}
	var workers []string
	if err := d.SelectContext(ctx, &workers, `SELECT result FROM run_command_on_workers(
		$$SELECT rolcanlogin FROM pg_roles WHERE rolname = 'healthsync_app'$$)`); err != nil {
		t.Fatal(err)
	}
	if len(workers) < 2 || slicesAny(workers, func(r string) bool { return r != "t" }) {
		t.Errorf("%s LOGIN on the workers: %v, want t on every one", AppRole, workers)
	}
}

// Two users whose rows live on different workers each see their own rows only, through a statement that fans
// out to every shard and names no user, so only the shards' policies stand between them.
func TestCitusPoliciesHoldOnTheShards(t *testing.T) {
	if !dbtest.OnCitus() {
		t.Skip("needs a Citus cluster: set " + dbtest.EnvCitus)
	}
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	// Users until two land on different workers.
	var ids []int64
	nodes := map[string]int64{}
	for i := 0; len(nodes) < 2 && i < 64; i++ {
		var id int64
		if err := d.GetContext(ctx, &id, `INSERT INTO users (subject) VALUES ('u' || $1::int) RETURNING id`, i); err != nil {
			t.Fatal(err)
		}
		var node string
		if err := d.GetContext(ctx, &node, `SELECT nodeport::text FROM citus_shards s
			WHERE s.table_name = 'devices'::regclass AND s.shardid = get_shard_id_for_distribution_column('devices', $1::bigint)`, id); err != nil {
			t.Fatal(err)
		}
		if _, ok := nodes[node]; !ok {
			nodes[node] = id
			ids = append(ids, id)
		}
	}
	if len(ids) != 2 {
		t.Fatalf("users on %d workers, want 2", len(ids))
	}
	for _, id := range ids {
		if _, err := d.ExecContext(ctx, seedRows[0], id); err != nil {
			t.Fatal(err)
		}
	}
	store := New(d, Options{})
	count := func(user int64) (n int, mine int) {
		t.Helper()
		if err := store.InUserTx(ctx, user, func(tx *Tx) error {
			return tx.tx.QueryRowxContext(ctx, `SELECT count(*), count(*) FILTER (WHERE user_id = $1) FROM devices`, user).Scan(&n, &mine)
		}); err != nil {
			t.Fatal(err)
		}
		return n, mine
	}
	for _, id := range ids {
		if n, mine := count(id); n != 1 || mine != 1 {
			t.Errorf("user %d sees %d devices, %d of them theirs; want exactly their 1", id, n, mine)
		}
	}
	if n, _ := count(0); n != 0 {
		t.Errorf("a transaction naming no stored user sees %d devices, want 0", n)
	}
	// A write for another user is refused on that user's shard.
	err := store.InUserTx(ctx, ids[0], func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO devices (user_id, device_id, provider, first_seen, last_seen)
			VALUES ($1, 'intruder', 'APPLE_HEALTH', now(), now())`, ids[1])
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Errorf("user %d writing a row of user %d: %v, want a row-level security violation", ids[0], ids[1], err)
	}
}

// A table with a user_id that Citus cannot distribute fails the migration by name instead of staying on the
// coordinator.
func TestCitusStepFailsOnAUserTableLeftLocal(t *testing.T) {
	if !dbtest.OnCitus() {
		t.Skip("needs a Citus cluster: set " + dbtest.EnvCitus)
	}
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	// A subquery policy of a form the step does not rewrite: Citus refuses it on a distributed table.
	d.MustExecContext(ctx, `CREATE TABLE stray (user_id bigint NOT NULL, note text, PRIMARY KEY (user_id, note));
		ALTER TABLE stray ENABLE ROW LEVEL SECURITY;
		CREATE POLICY odd ON stray USING (user_id IN (SELECT id FROM users))`)
	_, err := Migrate(ctx, d, nil)
	if err == nil || !strings.Contains(err.Error(), "stray") {
		t.Fatalf("Migrate with an undistributable user table: %v, want an error naming it", err)
	}
	var kind int
	if err := d.GetContext(ctx, &kind, `SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = 'stray'::regclass`); err != nil || kind != 0 {
		t.Errorf("stray in pg_dist_partition %d times (%v) after the failed step, want 0", kind, err)
	}
}

func slicesAny(s []string, f func(string) bool) bool {
	for _, v := range s {
		if f(v) {
			return true
		}
	}
	return false
}
