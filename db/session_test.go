package db

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"healthsync/devtools/dbtest"
)

// sessionState is what a transaction on the connection sees of the settings a user or system transaction sets.
type sessionState struct {
	PID     int    `db:"pid"`
	User    string `db:"usr"`
	UserID  string `db:"user_id"`
	Scope   string `db:"scope"`
	Timeout string `db:"timeout"`
	JIT     string `db:"jit"`
}

const qSessionState = `SELECT pg_backend_pid() AS pid, current_user AS usr,
	coalesce(current_setting('healthsync.user_id', true), '') AS user_id,
	coalesce(current_setting('healthsync.scope', true), '') AS scope,
	current_setting('statement_timeout') AS timeout, current_setting('jit') AS jit`

// A transaction's user, scope, role and limits end with it: the next transaction on the same pooled connection
// (one connection in the pool, so it is the same) starts with none of them, whether the first committed, failed
// or was a system transaction. The in-transaction checks prove the settings were there to leak.
func TestTxSettingsDoNotLeakToNextTx(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	d.SetMaxOpenConns(1)
	ctx := context.Background()
	store := New(d, Options{StatementTimeout: 7 * time.Second})
	var before sessionState
	if err := d.GetContext(ctx, &before, qSessionState); err != nil {
		t.Fatal(err)
	}
	if before.User == AppRole || before.UserID != "" {
		t.Fatalf("fresh connection already runs as %q for user %q", before.User, before.UserID)
	}
	after := func(stage string) {
		t.Helper()
		tx, err := d.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		var got sessionState
		if err := tx.GetContext(ctx, &got, qSessionState); err != nil {
			t.Fatal(err)
		}
		if got.PID != before.PID {
			t.Fatalf("%s: connection %d, want the pool's only connection %d", stage, got.PID, before.PID)
		}
		if got != before {
			t.Errorf("%s: next transaction starts with %+v, want the connection's own %+v", stage, got, before)
		}
	}
	inside := func(tx *Tx, want string) {
		var got sessionState
		if err := tx.tx.GetContext(ctx, &got, qSessionState); err != nil {
			t.Fatal(err)
		}
		if got.User != AppRole || got.UserID != want || got.Timeout != "7s" || got.JIT != "off" {
			t.Errorf("inside the user transaction: %+v, want role %s, user %s, 7s, jit off", got, AppRole, want)
		}
	}

	if err := store.InUserTx(ctx, 41, func(tx *Tx) error { inside(tx, "41"); return nil }); err != nil {
		t.Fatal(err)
	}
	after("after a commit")

	boom := errors.New("boom")
	if err := store.InUserTx(ctx, 42, func(tx *Tx) error { inside(tx, "42"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	after("after a rollback")

	err := store.InUserTx(ctx, 43, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `SELECT 1/0`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("err = %v, want division by zero", err)
	}
	after("after a failed statement")

	err = store.InSystemTx(ctx, func(tx *SysTx) error {
		var got sessionState
		if err := tx.tx.GetContext(ctx, &got, qSessionState); err != nil {
			return err
		}
		if got.User != AppRole || got.Scope != "system" || got.UserID != "" {
			t.Errorf("inside the system transaction: %+v, want role %s, scope system, no user", got, AppRole)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	after("after a system transaction")
}

// With Citus on, the transaction also asks Citus to carry its SET LOCALs to the workers; on plain PostgreSQL the
// setting is only a placeholder, so the same code runs (and is tested) without Citus.
func TestCitusSetupPropagatesLocalSettings(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	store := New(d, Options{Citus: true})
	err := store.InUserTx(ctx, 7, func(tx *Tx) error {
		var prop, user string
		if err := tx.tx.GetContext(ctx, &prop, `SELECT current_setting('citus.propagate_set_commands', true)`); err != nil {
			return err
		}
		if err := tx.tx.GetContext(ctx, &user, `SELECT current_setting('healthsync.user_id')`); err != nil {
			return err
		}
		if prop != "local" || user != "7" {
			t.Errorf("propagate_set_commands = %q, user = %q; want local, 7", prop, user)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
