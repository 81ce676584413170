package db

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The Citus step runs at the end of every Migrate when the database has the citus extension, and does nothing on
// plain PostgreSQL. It turns the tables the migrations made into a cluster sharded by user:
//
//   - every table with a user_id column in the migrations' schema is hash-distributed on user_id, all in one
//     colocation group, so one user's rows of every table live on one worker and a request is a single-shard
//     transaction there;
//   - every other table such a table has a foreign key to (users, webhook_endpoints) becomes a reference table,
//     a copy on every node;
//   - other tables (schema_migrations) stay on the coordinator.
//
// The list comes from the catalog, so a table a later migration adds is distributed by the next Migrate; a user
// table the step could not distribute fails the migration rather than staying local, where every join with its
// user's other rows would fail at request time. A second run finds nothing to do.
//
// Citus refuses some of what plain PostgreSQL allows, hence the order, learned on a 13.2 cluster (issue 18):
//   - a policy with a subquery cannot be created on a distributed table: the tenant policies of migration 0012
//     are put back in 0003's plain form before distributing (the subquery only saved a few per-row
//     current_setting calls on one node);
//   - a table with a foreign key to a plain table cannot be distributed, and a table with a foreign key to a
//     reference table becomes a Citus local table, which cannot be distributed when it has an identity column
//     (sources): so the keys of the tables to distribute are dropped first, the tables distributed, the
//     referenced tables made reference tables, and the keys added back, unchanged;
//   - a table with triggers cannot be distributed (migration 0017 removed them).

// distributeOnCitus is the Citus step; conn holds the migration lock.
func distributeOnCitus(ctx context.Context, conn *sqlx.Conn, log *slog.Logger) error {
	var citus bool
	if err := conn.GetContext(ctx, &citus, `SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')`); err != nil {
		return fmt.Errorf("citus: look for the extension: %w", err)
	}
	if !citus {
		return nil
	}
	st, err := readCitusState(ctx, conn)
	if err != nil {
		return err
	}
	if len(st.pending) > 0 || len(st.refPending) > 0 {
		if err := distribute(ctx, conn, st, log); err != nil {
			return err
		}
		if st, err = readCitusState(ctx, conn); err != nil {
			return err
		}
	}
	if err := st.check(); err != nil {
		return err
	}
	return appRoleOnWorkers(ctx, conn)
}

// citusState is what the catalog says about the tables the step is about.
type citusState struct {
	userTables []string          // with a user_id column, in creation order
	kind       map[string]string // table → "distributed" (hash), "reference", "local" (Citus local); absent: plain
	colocation map[string]int    // distributed table → colocation id
	pending    []string          // user tables not yet hash-distributed
	refs       []string          // non-user tables a user table has a foreign key to
	refPending []string          // refs not yet reference tables
	keys       []foreignKey      // of the pending tables
}

type foreignKey struct {
	Table string `db:"tbl"`
	Name  string `db:"conname"`
	Def   string `db:"def"`
	Ref   string `db:"ref"`
}

func readCitusState(ctx context.Context, conn *sqlx.Conn) (*citusState, error) {
	st := &citusState{kind: map[string]string{}, colocation: map[string]int{}}
	if err := conn.SelectContext(ctx, &st.userTables, `
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'user_id' AND NOT a.attisdropped)
		ORDER BY c.oid`); err != nil {
		return nil, fmt.Errorf("citus: list user tables: %w", err)
	}
	var parts []struct {
		Table      string `db:"tbl"`
		Method     string `db:"partmethod"`
		RepModel   string `db:"repmodel"`
		Colocation int    `db:"colocationid"`
	}
	if err := conn.SelectContext(ctx, &parts, `
		SELECT c.relname AS tbl, p.partmethod, p.repmodel, p.colocationid
		FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema()`); err != nil {
		return nil, fmt.Errorf("citus: read pg_dist_partition: %w", err)
	}
	for _, p := range parts {
		switch {
		case p.Method == "h":
			st.kind[p.Table] = "distributed"
			st.colocation[p.Table] = p.Colocation
		case p.RepModel == "t":
			st.kind[p.Table] = "reference"
		default:
			st.kind[p.Table] = "local"
		}
	}
	for _, t := range st.userTables {
		if st.kind[t] != "distributed" {
			st.pending = append(st.pending, t)
		}
	}
	// Every foreign key of a user table: those to non-user tables name the reference tables; those of pending
	// tables are dropped and added back around the distribution.
	var keys []foreignKey
	if err := conn.SelectContext(ctx, &keys, `
		SELECT k.relname AS tbl, con.conname, pg_get_constraintdef(con.oid) AS def, r.relname AS ref
		FROM pg_constraint con
		JOIN pg_class k ON k.oid = con.conrelid JOIN pg_class r ON r.oid = con.confrelid
		WHERE con.contype = 'f' AND k.relname = ANY($1) AND k.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
		ORDER BY con.oid`, pq.Array(st.userTables)); err != nil {
		return nil, fmt.Errorf("citus: read foreign keys: %w", err)
	}
	for _, k := range keys {
		if !slices.Contains(st.userTables, k.Ref) && !slices.Contains(st.refs, k.Ref) {
			st.refs = append(st.refs, k.Ref)
			if st.kind[k.Ref] != "reference" {
				st.refPending = append(st.refPending, k.Ref)
			}
		}
		if slices.Contains(st.pending, k.Table) {
			st.keys = append(st.keys, k)
		}
	}
	return st, nil
}

// distribute does the work in the order that Citus accepts (see the top of the file), in one transaction: a
// failure leaves the tables as they were, keys included.
func distribute(ctx context.Context, conn *sqlx.Conn, st *citusState, log *slog.Logger) error {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("citus: begin: %w", err)
	}
	defer tx.Rollback()
	// Sequential: a foreign key to a reference table cannot be added in a transaction that already used parallel
	// connections to the shards (create_distributed_table does by default).
	if _, err := tx.ExecContext(ctx, `SET LOCAL citus.multi_shard_modify_mode = 'sequential'`); err != nil {
		return fmt.Errorf("citus: %w", err)
	}
	exec := func(what, q string, args ...any) error {
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("citus: %s: %w", what, err)
		}
		return nil
	}
	if err := plainPolicies(ctx, tx, st.pending); err != nil {
		return err
	}
	for _, k := range st.keys {
		if err := exec("drop key "+k.Name, fmt.Sprintf(`ALTER TABLE %s DROP CONSTRAINT %s`,
			pq.QuoteIdentifier(k.Table), pq.QuoteIdentifier(k.Name))); err != nil {
			return err
		}
	}
	anchor := ""
	for _, t := range st.userTables {
		if st.kind[t] == "distributed" {
			anchor = t
			break
		}
	}
	for _, t := range st.pending {
		if anchor == "" {
			err = exec("distribute "+t, `SELECT create_distributed_table($1, 'user_id')`, t)
			anchor = t
		} else {
			err = exec("distribute "+t, `SELECT create_distributed_table($1, 'user_id', colocate_with => $2)`, t, anchor)
		}
		if err != nil {
			return err
		}
		if log != nil {
			log.Info("citus: table distributed by user_id", "table", t, "colocated_with", anchor)
		}
	}
	for _, t := range st.refPending {
		if err := exec("reference table "+t, `SELECT create_reference_table($1)`, t); err != nil {
			return err
		}
		if log != nil {
			log.Info("citus: reference table", "table", t)
		}
	}
	for _, k := range st.keys {
		if err := exec("add key "+k.Name+" back", fmt.Sprintf(`ALTER TABLE %s ADD CONSTRAINT %s %s`,
			pq.QuoteIdentifier(k.Table), pq.QuoteIdentifier(k.Name), k.Def)); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("citus: commit: %w", err)
	}
	return nil
}

// plainPolicies puts the tenant policies that have a subquery in them (migration 0012's form) back in the plain
// form (PlainPolicies), in the step's transaction. Any other policy of a table to distribute with a subquery fails
// the step first: its meaning is not ours to guess.
func plainPolicies(ctx context.Context, tx *sqlx.Tx, tables []string) error {
	var pols []struct {
		Table string `db:"tablename"`
		Name  string `db:"policyname"`
		Qual  string `db:"qual"`
		Check string `db:"with_check"`
	}
	if err := tx.SelectContext(ctx, &pols, `
		SELECT tablename, policyname, coalesce(qual, '') AS qual, coalesce(with_check, '') AS with_check
		FROM pg_policies WHERE schemaname = current_schema() AND tablename = ANY($1)`, pq.Array(tables)); err != nil {
		return fmt.Errorf("citus: read policies: %w", err)
	}
	for _, p := range pols {
		if !hasSubquery(p.Qual) && !hasSubquery(p.Check) {
			continue
		}
		both := p.Qual + p.Check
		if p.Name != "tenant" || strings.Contains(both, "healthsync.scope") || strings.Count(both, "healthsync.user_id") != 2 {
			return fmt.Errorf("citus: policy %s on %s has a subquery, which Citus refuses on a distributed table, "+
				"and is not the tenant form the step knows how to rewrite: rewrite it without one in a migration", p.Name, p.Table)
		}
	}
	if _, err := PlainPolicies(ctx, tx); err != nil {
		return fmt.Errorf("citus: %w", err)
	}
	return nil
}

func hasSubquery(expr string) bool { return strings.Contains(strings.ToUpper(expr), "SELECT") }

// check fails when a user table is not distributed in the one colocation group, or a referenced table is not a
// reference table.
func (st *citusState) check() error {
	var bad []string
	groups := map[int]bool{}
	for _, t := range st.userTables {
		if st.kind[t] != "distributed" {
			bad = append(bad, fmt.Sprintf("%s is %s, want distributed by user_id", t, orPlain(st.kind[t])))
			continue
		}
		groups[st.colocation[t]] = true
	}
	for _, t := range st.refs {
		if st.kind[t] != "reference" {
			bad = append(bad, fmt.Sprintf("%s is %s, want a reference table", t, orPlain(st.kind[t])))
		}
	}
	if len(groups) > 1 {
		bad = append(bad, fmt.Sprintf("user tables are in %d colocation groups, want one", len(groups)))
	}
	if len(bad) > 0 {
		return fmt.Errorf("citus: tables left undistributed: %s", strings.Join(bad, "; "))
	}
	return nil
}

func orPlain(kind string) string {
	if kind == "" {
		return "a plain coordinator table"
	}
	return "a Citus " + kind + " table"
}

// appRoleOnWorkers lets the application role log in, which Citus needs on the workers: a user transaction runs
// as AppRole (SET LOCAL ROLE), and Citus opens its connections to the workers as the transaction's current role.
// LOGIN is given on the coordinator, which Citus propagates to every node, and not on the workers alone: adding a
// node (citus_add_node, in any database) copies every role's attributes from the coordinator and would take it
// back. The role has no password, so it can only authenticate where pg_hba.conf says trust or cert; how a
// deployment lets the workers accept it from the coordinator and keeps clients out is in docs/scaling.md.
func appRoleOnWorkers(ctx context.Context, conn *sqlx.Conn) error {
	var login bool
	if err := conn.GetContext(ctx, &login, `SELECT rolcanlogin FROM pg_roles WHERE rolname = $1`, AppRole); err != nil {
		return fmt.Errorf("citus: read %s: %w", AppRole, err)
	}
	// Only when missing: roles are shared by every database of a node, and altering one while another
	// database's migration does the same fails with "tuple concurrently updated".
	if !login {
		if _, err := conn.ExecContext(ctx, `ALTER ROLE `+pq.QuoteIdentifier(AppRole)+` LOGIN`); err != nil {
			return fmt.Errorf("citus: let %s log in: %w", AppRole, err)
		}
	}
	var res []struct {
		Node    string `db:"nodename"`
		Port    int    `db:"nodeport"`
		Success bool   `db:"success"`
		Result  string `db:"result"`
	}
	if err := conn.SelectContext(ctx, &res, `SELECT nodename, nodeport, success, result FROM run_command_on_workers($1)`,
		fmt.Sprintf(`SELECT rolcanlogin FROM pg_roles WHERE rolname = %s`, pq.QuoteLiteral(AppRole))); err != nil {
		return fmt.Errorf("citus: read %s on the workers: %w", AppRole, err)
	}
	for _, r := range res {
		if !r.Success || r.Result != "t" {
			return fmt.Errorf("citus: %s on worker %s:%d cannot log in (%q): check that Citus propagates roles "+
				"(citus.enable_create_role_propagation) and run migrate again", AppRole, r.Node, r.Port, r.Result)
		}
	}
	return nil
}
