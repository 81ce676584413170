package db

import (
	"context"
	"fmt"
)

// Notify queues a notification on channel; PostgreSQL delivers it to listeners when the transaction commits,
// and drops it when the transaction rolls back.
func (t *Tx) Notify(ctx context.Context, channel, payload string) error {
	if _, err := t.tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}
