// Package resolvers is the thin GraphQL layer: each resolver takes the user from the context, makes one service
// call and maps its answer (or its error) to the schema's types. It holds no SQL, opens no transaction and
// keeps no business rules; layers_test.go checks the imports and the storage types it may not touch.
package resolvers

import (
	"context"

	"healthsync/auth"
	"healthsync/catalog"
	"healthsync/categories"
	"healthsync/cloud/cloudsync"
	"healthsync/cycle"
	"healthsync/db"
	"healthsync/devices"
	"healthsync/importers/jobs"
	"healthsync/ingest"
	"healthsync/kinds"
	"healthsync/priority"
	"healthsync/rights"
	"healthsync/series"
	"healthsync/sleep"
	"healthsync/summary"
	"healthsync/syncevents"
	"healthsync/syncplan"
	"healthsync/webhooks"
	"healthsync/workouts"
)

// Users finds the token's subject's user, creating it on first use; *db.Store is one.
type Users interface {
	EnsureUser(ctx context.Context, subject string) (db.User, error)
}

// Resolver is the root resolver; it holds the process-wide dependencies.
type Resolver struct {
	Users   Users
	Ingest  *ingest.Service
	Catalog *catalog.Catalog
	Series  *series.Service
	Imports *jobs.Service
	// Events feeds the syncEvents subscription; nil answers it with UNAVAILABLE.
	Events *syncevents.Hub
	// Cloud connects Garmin, Oura and Whoop; nil answers their fields with PROVIDER_NOT_CONFIGURED.
	Cloud *cloudsync.Service

	// The services behind the reads and writes resolvers used to do themselves (issue 14).
	Summary  *summary.Service
	Sleep    *sleep.Service
	Workouts *workouts.Service
	Priority *priority.Service
	Devices  *devices.Service
	Cycle    *cycle.Service
	// SyncPlans answers syncPlan and uploadDigests.
	SyncPlans *syncplan.Service
	// Kinds reads State of Mind, ECG and medication doses (issue 17).
	Kinds *kinds.Service
	// Categories reads stored category samples of one type (categorySamples).
	Categories *categories.Service

	// Webhooks administers outgoing webhooks (admin scope).
	Webhooks *webhooks.Service

	// Rights erases and exports a user's data as a whole.
	Rights *rights.Service
}

// user resolves the token's subject to the stored user, creating it on first use. The @scope directive has
// already checked that a valid token is present.
func (r *Resolver) user(ctx context.Context) (db.User, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return db.User{}, ErrUnauthenticated
	}
	return r.Users.EnsureUser(ctx, p.Subject)
}
