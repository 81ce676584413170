package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Connection is a user's link to a cloud provider. The token is sealed by the caller; the database never sees
// it in the clear.
type Connection struct {
	UserID         int64      `db:"user_id"`
	Provider       string     `db:"provider"`
	ProviderUserID string     `db:"provider_user_id"`
	Status         string     `db:"status"`
	Scopes         string     `db:"scopes"`
	TokenSealed    []byte     `db:"token_sealed"`
	TokenExpiry    *time.Time `db:"token_expiry"`
	ConnectedAt    time.Time  `db:"connected_at"`
	UpdatedAt      time.Time  `db:"updated_at"`
	LastSyncAt     *time.Time `db:"last_sync_at"`
	LastError      *string    `db:"last_error"`
}

// Connection statuses.
const (
	ConnConnected    = "CONNECTED"
	ConnReauthorize  = "REAUTHORIZE"
	ConnDisconnected = "DISCONNECTED"
)

const connectionCols = `user_id, provider, provider_user_id, status, scopes, token_sealed, token_expiry,
	connected_at, updated_at, last_sync_at, last_error`

// SysTx is a transaction in the system scope: it may read and write provider connections and jobs of every
// user (row-level security admits healthsync.scope = 'system' on those two tables only), and nothing else.
type SysTx struct {
	tx    *sqlx.Tx
	store *Store
}

// InSystemTx runs fn in a transaction of the system scope, for work that does not know its user yet: routing a
// webhook by the provider's user id, claiming the next due job.
func (s *Store) InSystemTx(ctx context.Context, fn func(tx *SysTx) error) (err error) {
	t, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = t.Rollback()
		}
	}()
	if _, err = t.ExecContext(ctx, s.setLocal("SET LOCAL healthsync.scope = 'system'")); err != nil {
		return fmt.Errorf("set system scope: %w", err)
	}
	if err = fn(&SysTx{tx: t, store: s}); err != nil {
		return err
	}
	if err = t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// SaveConnection creates or replaces the user's connection to the provider (a reconnect replaces the token).
func (t *Tx) SaveConnection(ctx context.Context, c Connection) error {
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO provider_connections (user_id, provider, provider_user_id, status, scopes, token_sealed,
			token_expiry, connected_at, updated_at, last_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, NULL)
		ON CONFLICT (user_id, provider) DO UPDATE SET provider_user_id = EXCLUDED.provider_user_id,
			status = EXCLUDED.status, scopes = EXCLUDED.scopes, token_sealed = EXCLUDED.token_sealed,
			token_expiry = EXCLUDED.token_expiry, connected_at = EXCLUDED.connected_at,
			updated_at = EXCLUDED.updated_at, last_error = NULL`,
		t.userID, c.Provider, c.ProviderUserID, c.Status, c.Scopes, c.TokenSealed, c.TokenExpiry, c.ConnectedAt)
	if err != nil {
		return fmt.Errorf("save connection: %w", err)
	}
	return nil
}

// Connection returns the user's connection to the provider, or nil.
func (t *Tx) Connection(ctx context.Context, provider string) (*Connection, error) {
	var c Connection
	err := t.tx.GetContext(ctx, &c, `SELECT `+connectionCols+` FROM provider_connections
		WHERE user_id = $1 AND provider = $2`, t.userID, provider)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read connection: %w", err)
	}
	return &c, nil
}

// LockConnection reads the user's connection to the provider and locks its row until the transaction ends:
// refreshing its token happens under this lock, so two jobs never spend one refresh token twice.
func (t *Tx) LockConnection(ctx context.Context, provider string) (*Connection, error) {
	var c Connection
	err := t.tx.GetContext(ctx, &c, `SELECT `+connectionCols+` FROM provider_connections
		WHERE user_id = $1 AND provider = $2 FOR UPDATE`, t.userID, provider)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock connection: %w", err)
	}
	return &c, nil
}

// Connections lists the user's connections.
func (t *Tx) Connections(ctx context.Context) ([]Connection, error) {
	var cs []Connection
	if err := t.tx.SelectContext(ctx, &cs, `SELECT `+connectionCols+` FROM provider_connections
		WHERE user_id = $1 ORDER BY provider`, t.userID); err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	return cs, nil
}

// UpdateConnectionToken stores a refreshed token, but only while the connection is still the one the caller
// read (same connected_at): a token refreshed by a job that raced a disconnect must not bring it back.
func (t *Tx) UpdateConnectionToken(ctx context.Context, provider string, connectedAt time.Time, sealed []byte, expiry *time.Time, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE provider_connections SET token_sealed = $3, token_expiry = $4,
		updated_at = $5 WHERE user_id = $1 AND provider = $2 AND connected_at = $6 AND status <> 'DISCONNECTED'`,
		t.userID, provider, sealed, expiry, at, connectedAt)
	if err != nil {
		return fmt.Errorf("update token: %w", err)
	}
	return nil
}

// MarkConnection records the outcome of a sync: a status (CONNECTED or REAUTHORIZE), the error if any.
func (t *Tx) MarkConnection(ctx context.Context, provider, status string, lastErr *string, synced bool, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE provider_connections SET status = $3, last_error = $4,
		last_sync_at = CASE WHEN $5 THEN $6::timestamptz ELSE last_sync_at END, updated_at = $6
		WHERE user_id = $1 AND provider = $2 AND status <> 'DISCONNECTED'`,
		t.userID, provider, status, lastErr, synced, at)
	if err != nil {
		return fmt.Errorf("mark connection: %w", err)
	}
	return nil
}

// Disconnect forgets the connection's token and cancels its pending jobs; the stored data stays. It reports
// whether there was a connection.
func (t *Tx) Disconnect(ctx context.Context, provider string, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `UPDATE provider_connections SET status = 'DISCONNECTED',
		token_sealed = NULL, token_expiry = NULL, updated_at = $3
		WHERE user_id = $1 AND provider = $2 AND status <> 'DISCONNECTED'`, t.userID, provider, at)
	if err != nil {
		return false, fmt.Errorf("disconnect: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, t.cancelJobs(ctx, provider, at)
}

// cancelJobs cancels the user's pending jobs for the provider.
func (t *Tx) cancelJobs(ctx context.Context, provider string, at time.Time) error {
	if _, err := t.tx.ExecContext(ctx, `UPDATE provider_jobs SET status = 'CANCELLED', updated_at = $3
		WHERE user_id = $1 AND provider = $2 AND status IN ('QUEUED', 'RUNNING')`, t.userID, provider, at); err != nil {
		return fmt.Errorf("cancel jobs: %w", err)
	}
	return nil
}

// RevokeConnection records that the user withdrew access at the provider: the token is forgotten (it no longer
// works), pending jobs are cancelled, and the status asks the user to connect again.
func (t *Tx) RevokeConnection(ctx context.Context, provider, reason string, at time.Time) error {
	if _, err := t.tx.ExecContext(ctx, `UPDATE provider_connections SET status = 'REAUTHORIZE', token_sealed = NULL,
		token_expiry = NULL, last_error = $3, updated_at = $4 WHERE user_id = $1 AND provider = $2 AND status <> 'DISCONNECTED'`,
		t.userID, provider, reason, at); err != nil {
		return fmt.Errorf("revoke connection: %w", err)
	}
	return t.cancelJobs(ctx, provider, at)
}

// ConnectionsByProviderUser finds the connected users the provider knows by this id (normally one).
func (t *SysTx) ConnectionsByProviderUser(ctx context.Context, provider, providerUserID string) ([]Connection, error) {
	var cs []Connection
	if err := t.tx.SelectContext(ctx, &cs, `SELECT `+connectionCols+` FROM provider_connections
		WHERE provider = $1 AND provider_user_id = $2 AND status <> 'DISCONNECTED'`, provider, providerUserID); err != nil {
		return nil, fmt.Errorf("find connection: %w", err)
	}
	return cs, nil
}

// TryLock takes a transaction-level advisory lock if it is free: work that one process should do for all
// (keeping webhook subscriptions in place) runs where it got the lock, and is skipped elsewhere.
func (t *SysTx) TryLock(ctx context.Context, key int64) (bool, error) {
	var ok bool
	if err := t.tx.GetContext(ctx, &ok, `SELECT pg_try_advisory_xact_lock($1)`, key); err != nil {
		return false, fmt.Errorf("advisory lock: %w", err)
	}
	return ok, nil
}

// AddOAuthTicket records a connection link that has not been opened yet.
func (t *Tx) AddOAuthTicket(ctx context.Context, ticketID, provider string, expires time.Time) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO oauth_tickets (ticket_id, user_id, provider, expires_at)
		VALUES ($1, $2, $3, $4)`, ticketID, t.userID, provider, expires)
	if err != nil {
		return fmt.Errorf("add oauth ticket: %w", err)
	}
	return nil
}

// SpendOAuthTicket deletes an unexpired ticket of the user and provider and reports whether there was one: a link
// opens once.
func (t *SysTx) SpendOAuthTicket(ctx context.Context, ticketID string, userID int64, provider string, now time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM oauth_tickets
		WHERE user_id = $1 AND ticket_id = $2 AND provider = $3 AND expires_at > $4`, userID, ticketID, provider, now)
	if err != nil {
		return false, fmt.Errorf("spend oauth ticket: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// PruneOAuthTickets deletes tickets that expired before the given time, unopened.
func (t *SysTx) PruneOAuthTickets(ctx context.Context, before time.Time) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM oauth_tickets WHERE expires_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune oauth tickets: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
