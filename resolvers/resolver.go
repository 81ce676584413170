// Package resolvers is the thin GraphQL layer: it reads arguments, calls the domain and storage, and maps the
// answers to the schema's types. It holds no SQL and no business rules.
package resolvers

import (
	"context"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/cloud/cloudsync"
	"healthsync/db"
	"healthsync/importers/jobs"
	"healthsync/ingest"
	"healthsync/series"
	"healthsync/syncevents"
	"healthsync/syncplan"
)

// Resolver is the root resolver; it holds the process-wide dependencies.
type Resolver struct {
	Store   *db.Store
	Ingest  *ingest.Service
	Catalog *catalog.Catalog
	Series  *series.Service
	Imports *jobs.Service
	// Events feeds the syncEvents subscription; nil answers it with UNAVAILABLE.
	Events *syncevents.Hub
	// Cloud connects Garmin, Oura and Whoop; nil answers their fields with PROVIDER_NOT_CONFIGURED.
	Cloud *cloudsync.Service
	// SyncPlans answers syncPlan and uploadDigests.
	SyncPlans *syncplan.Service
}

// user resolves the token's subject to the stored user, creating it on first use. The @scope directive has
// already checked that a valid token is present.
func (r *Resolver) user(ctx context.Context) (db.User, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return db.User{}, ErrUnauthenticated
	}
	return r.Store.EnsureUser(ctx, p.Subject)
}

// inUserTx runs fn in a transaction scoped to the token's user.
func (r *Resolver) inUserTx(ctx context.Context, fn func(tx *db.Tx) error) error {
	u, err := r.user(ctx)
	if err != nil {
		return err
	}
	return r.Store.InUserTx(ctx, u.ID, fn)
}
