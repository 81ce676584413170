package db

import (
	"context"
	"fmt"
)

// UserSubject is the token subject of the transaction's user; exports written by a worker know only the user id.
func (t *Tx) UserSubject(ctx context.Context) (string, error) {
	var s string
	if err := t.tx.GetContext(ctx, &s, `SELECT subject FROM users WHERE id = $1`, t.userID); err != nil {
		return "", fmt.Errorf("user subject: %w", err)
	}
	return s, nil
}
