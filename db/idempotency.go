package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PriorRequest is what an earlier request stored under an idempotency key.
type PriorRequest struct {
	RequestHash []byte
	Response    []byte
}

// ClaimIdempotencyKey takes the key for this transaction. When an earlier committed request holds it, that
// request is returned instead and nothing is claimed. A concurrent request with the same key waits on the
// key's row until the first one commits (then sees its answer) or rolls back (then claims it), so two
// requests with one key never both write.
func (t *Tx) ClaimIdempotencyKey(ctx context.Context, key string, requestHash []byte) (*PriorRequest, error) {
	res, err := t.tx.ExecContext(ctx, `
		INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, key) DO NOTHING`, t.userID, key, requestHash)
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil, nil
	}
	var prior struct {
		RequestHash []byte `db:"request_hash"`
		Response    string `db:"response"`
	}
	err = t.tx.GetContext(ctx, &prior, `
		SELECT request_hash, coalesce(response::text, '') AS response
		FROM idempotency_keys WHERE user_id = $1 AND key = $2`, t.userID, key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("idempotency key vanished while claiming it")
	}
	if err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	return &PriorRequest{RequestHash: prior.RequestHash, Response: []byte(prior.Response)}, nil
}

// SameRequest reports whether the prior request carried the same payload.
func (p *PriorRequest) SameRequest(hash []byte) bool { return bytes.Equal(p.RequestHash, hash) }

// SaveIdempotencyResponse stores the answer under the key claimed in this transaction.
func (t *Tx) SaveIdempotencyResponse(ctx context.Context, key string, response []byte) error {
	if _, err := t.tx.ExecContext(ctx, `
		UPDATE idempotency_keys SET response = $3::jsonb WHERE user_id = $1 AND key = $2`,
		t.userID, key, string(response)); err != nil {
		return fmt.Errorf("save idempotency response: %w", err)
	}
	return nil
}

// PruneIdempotencyKeys deletes up to limit stored answers older than retention, oldest first, and reports
// how many: small rounds keep each transaction short on a large table. The cut-off is taken from the
// database's clock, the one that wrote created_at, so a skewed application clock cannot prune early or never.
func (t *SysTx) PruneIdempotencyKeys(ctx context.Context, retention time.Duration, limit int) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE (user_id, key) IN (
		SELECT user_id, key FROM idempotency_keys
		WHERE created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT $2)`,
		retention.Seconds(), limit)
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
