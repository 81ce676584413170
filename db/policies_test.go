package db

import (
	"context"
	"slices"
	"testing"

	"healthsync/devtools/dbtest"
)

// PlainPolicies leaves no subquery in any policy (Citus refuses them) and the policies still keep users apart.
func TestPlainPoliciesHaveNoSubqueriesAndStillIsolate(t *testing.T) {
	dbtest.SkipOnCitus(t, "the Citus step of Migrate has already made the policies plain; TestCitusStepDistributesEveryUserTable checks none has a subquery")
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	changed, err := PlainPolicies(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"samples", "category_samples", "workouts", "sample_hourly"} {
		if !slices.Contains(changed, want) {
			t.Errorf("%s's policy (migration 0012's subquery form) was not changed: %v", want, changed)
		}
	}
	var left []string
	if err := d.SelectContext(ctx, &left, `SELECT tablename || '.' || policyname FROM pg_policies
		WHERE coalesce(qual, '') ~* 'select' OR coalesce(with_check, '') ~* 'select'`); err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Fatalf("policies with subqueries left: %v", left)
	}
	if again, err := PlainPolicies(ctx, d); err != nil || len(again) != 0 {
		t.Fatalf("second run changed %v (%v), want nothing", again, err)
	}
	a, b := seedTwoUsers(t, d)
	store := New(d, Options{})
	for _, u := range []int64{a, b} {
		if err := store.InUserTx(ctx, u, func(tx *Tx) error {
			for _, tb := range userTables {
				var total, mine int
				if err := tx.tx.Get(&total, `SELECT count(*) FROM `+tb); err != nil {
					return err
				}
				if err := tx.tx.Get(&mine, `SELECT count(*) FROM `+tb+` WHERE user_id = $1`, u); err != nil {
					return err
				}
				if total != mine || total != 1 {
					t.Errorf("user %d sees %d rows of %s, %d its own; want 1, its own", u, total, tb, mine)
				}
			}
			if _, err := tx.tx.Exec(`SAVEPOINT w`); err != nil {
				return err
			}
			_, err := tx.tx.Exec(`INSERT INTO sample_hourly (user_id, metric, source_id, hour, n, sum_start, prorated)
				VALUES ($1, 'x', 1, now(), 1, 1, 1)`, a+b-u)
			if err == nil {
				t.Errorf("user %d wrote a row of the other user", u)
			}
			_, err = tx.tx.Exec(`ROLLBACK TO SAVEPOINT w`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}
