package cloudsync

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"healthsync/db"
	"healthsync/ingest"
)

// storedToken is a connection's token source for jobs. Its refresh runs under the connection's row lock and
// stores the new token before the lock is released: jobs of one connection in several processes would
// otherwise refresh at once, and with providers that rotate refresh tokens (each works once) all but one
// would be refused and the user locked out. A job that finds a token refreshed meanwhile by another uses it.
type storedToken struct {
	s           *Service
	ctx         context.Context
	cfg         *oauth2.Config
	userID      int64
	name        ingest.Provider
	connectedAt time.Time

	mu  sync.Mutex
	tok *oauth2.Token
}

// fresh reports whether a token is good for RefreshAhead more.
func (ts *storedToken) fresh(t *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	return t.Expiry.IsZero() || time.Until(t.Expiry) > ts.s.o.RefreshAhead
}

func (ts *storedToken) Token() (*oauth2.Token, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.fresh(ts.tok) {
		return ts.tok, nil
	}
	err := ts.s.store.InUserTx(ts.ctx, ts.userID, func(tx *db.Tx) error {
		c, err := tx.LockConnection(ts.ctx, string(ts.name))
		if err != nil {
			return err
		}
		if c == nil || c.Status == db.ConnDisconnected || len(c.TokenSealed) == 0 || !c.ConnectedAt.Equal(ts.connectedAt) {
			return errGone
		}
		stored, err := ts.s.openToken(*c)
		if err != nil {
			return err
		}
		if ts.fresh(stored) { // another job refreshed it meanwhile
			ts.tok = stored
			return nil
		}
		if stored.RefreshToken == "" {
			ts.tok = stored // nothing to refresh with: the provider decides whether it still works
			return nil
		}
		next, err := ts.cfg.TokenSource(ts.s.oauthContext(ts.ctx), &oauth2.Token{RefreshToken: stored.RefreshToken}).Token()
		if err != nil {
			return fmt.Errorf("refresh the token: %w", err)
		}
		sealed, exp, err := ts.s.sealToken(ts.userID, ts.name, next)
		if err != nil {
			return err
		}
		if err := tx.UpdateConnectionToken(ts.ctx, string(ts.name), c.ConnectedAt, sealed, exp, ts.s.o.Now().UTC()); err != nil {
			return err
		}
		ts.tok = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ts.tok, nil
}
