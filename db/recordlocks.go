package db

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
)

// Lock spaces (the first key of pg_advisory_xact_lock(int, int)) of the records of each table: an upload takes
// the samples' locks before the category samples' and those before the workouts', so two uploads never wait for
// each other in opposite orders.
const (
	sampleRecordLocks   int32 = 7313
	categoryRecordLocks int32 = 7314
	workoutRecordLocks  int32 = 7315
)

// recordLockBuckets is how many locks a user's records of one table share. A lock per record would put
// thousands of locks into one transaction (a Health Connect batch versions every record), more than
// PostgreSQL's shared lock table is sized for; with buckets an upload holds at most this many, at the price of
// two uploads of different records sometimes waiting for each other, which uploads of one user sharing a
// device or a source do anyway.
const recordLockBuckets = 64

// lockRecords takes, until the transaction ends, the locks of the given record ids of one table, in ascending
// order (concurrent uploads take them in the same order and cannot deadlock on them).
func (t *Tx) lockRecords(ctx context.Context, space int32, ids []string) error {
	// A hash that every server process computes alike: they all lock the same bucket for a record.
	var taken [recordLockBuckets]bool
	var keys []int64
	h := fnv.New64a()
	for _, id := range ids {
		h.Reset()
		h.Write([]byte(id))
		b := h.Sum64() % recordLockBuckets
		if !taken[b] {
			taken[b] = true
			// Keys of two users may coincide (the space is 31 bits), which only costs a wait.
			keys = append(keys, (t.userID*recordLockBuckets+int64(b))%2147483647)
		}
	}
	slices.Sort(keys)
	if _, err := t.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, k::int) FROM unnest($2::bigint[]) AS k`,
		space, int64Array(keys)); err != nil {
		return fmt.Errorf("lock records: %w", err)
	}
	return nil
}
