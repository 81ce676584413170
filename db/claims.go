package db

import (
	"context"
	"fmt"
)

// Job claims span users: a worker takes the next due job of anybody. A distributed PostgreSQL (Citus) refuses
// FOR UPDATE on a statement that reaches several shards, so no claim locks across users. It goes in two steps:
//
//  1. pick the due candidates of every user without locking (a plain read; on Citus a fan-out SELECT);
//  2. lock one candidate with a statement that names its user (one shard: a router query on Citus), FOR UPDATE
//     SKIP LOCKED, which rechecks the row's due condition on its latest version, then lease it.
//
// Two claimers that pick the same candidate cannot both lock it: the second skips it (or, once the first has
// committed, finds it no longer due) and tries the next. The queue tables stay distributed with the users' data
// rather than on the coordinator because they are written in the users' transactions (jobs queued with a
// connection, outbox events with the batch they announce) and erased with the rest of a user's data; a
// coordinator-local queue would make each of those transactions span two nodes.

// claimCandidates is how many due jobs a claim looks at: enough that a few workers claiming at once still find
// one each among them.
const claimCandidates = 16

// claimKey is a due job: its user and its id in that user's queue (and a second id where the key has one: a
// webhook delivery's endpoint).
type claimKey struct {
	UserID int64 `db:"user_id"`
	ID     int64 `db:"id"`
	Other  int64 `db:"other"`
}

// claimFirst takes the first of the candidates (pick, in order) that lock can lock and lease; lock reports
// false for one another claimer holds or that is no longer due. It reports whether it took one.
func (t *SysTx) claimFirst(ctx context.Context, what, pick string, pickArgs []any,
	lock func(k claimKey) (bool, error)) (bool, error) {
	var cands []claimKey
	if err := t.tx.SelectContext(ctx, &cands, pick, pickArgs...); err != nil {
		return false, fmt.Errorf("pick %s: %w", what, err)
	}
	for _, k := range cands {
		ok, err := lock(k)
		if err != nil {
			return false, fmt.Errorf("claim %s: %w", what, err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// lockDue locks the row lockQ names ($1 user, $2 id, then args) if it is free and still due, and reports
// whether it did.
func (t *SysTx) lockDue(ctx context.Context, lockQ string, k claimKey, args ...any) (bool, error) {
	rows, err := t.tx.QueryContext(ctx, lockQ, append([]any{k.UserID, k.ID}, args...)...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	ok := rows.Next()
	return ok, rows.Err()
}
