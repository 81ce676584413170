// Package rights holds what a user may ask of their data as a whole (GDPR articles 15, 17 and 20): erase all of
// it after a grace period, and export all of it. Both run as PostgreSQL job rows that any server process may
// claim (FOR UPDATE SKIP LOCKED) and take up again after a crash.
package rights

import (
	"context"
	"errors"
	"healthsync/fhir"
	"log/slog"
	"time"

	"healthsync/db"
	"healthsync/ingest"
)

// DefaultGrace is how long a requested erasure waits, cancellable, before it runs.
const DefaultGrace = 7 * 24 * time.Hour

// MaxGraceDays bounds a grace period asked for per request.
const MaxGraceDays = 90

var (
	// ErrInvalid is a request the service refuses as asked (a grace period out of range, an unknown format).
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound is an export that does not exist for this user.
	ErrNotFound = errors.New("not found")
)

// Revoker withdraws a user's grant at a cloud provider and forgets the tokens (cloudsync.Service does).
type Revoker interface {
	Disconnect(ctx context.Context, userID int64, name ingest.Provider) (*db.Connection, error)
}

// Options tune a Service; every field may be left zero.
type Options struct {
	// Grace is the default grace period of an erasure; 0 means DefaultGrace.
	Grace time.Duration
	// Lease is how long a claimed job is a worker's before another process may take it up again.
	Lease time.Duration
	Now   func() time.Time
	Log   *slog.Logger
	// Revoker, when set, withdraws the provider grants before an erasure deletes the connections.
	Revoker Revoker
	// ExportChunk is the size of the stored pieces of an export's zip; 0 means 1 MiB.
	ExportChunk int
	// FHIR, when set, offers the FHIR_NDJSON export format.
	FHIR *fhir.Service
	// ExportTTL is how long a finished export can be downloaded before it expires and its zip is purged; 0 means
	// DefaultExportTTL.
	ExportTTL time.Duration
	// LinkKey signs the short-lived download links that need no token (HMAC-SHA256); nil offers no such links.
	LinkKey []byte
	// LinkTTL is how long a signed link works from when dataExport handed it out; 0 means DefaultLinkTTL.
	LinkTTL time.Duration
}

// DefaultExportTTL is how long a finished export is kept: a week.
const DefaultExportTTL = 7 * 24 * time.Hour

// DefaultLinkTTL is how long a signed download link works.
const DefaultLinkTTL = 15 * time.Minute

// Service runs erasures and exports.
type Service struct {
	store *db.Store
	o     Options
}

// NewService builds the service over the store.
func NewService(store *db.Store, o Options) *Service {
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Lease <= 0 {
		o.Lease = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.ExportChunk <= 0 {
		o.ExportChunk = 1 << 20
	}
	if o.ExportTTL <= 0 {
		o.ExportTTL = DefaultExportTTL
	}
	if o.LinkTTL <= 0 {
		o.LinkTTL = DefaultLinkTTL
	}
	return &Service{store: store, o: o}
}

// WithRevoker is the service with provider grants withdrawn at erasure (the cloud service is built after the
// others, and only when providers are configured).
func (s *Service) WithRevoker(r Revoker) *Service {
	c := *s
	c.o.Revoker = r
	return &c
}

// WithGrace is the service with another default grace period (the deployment's configuration).
func (s *Service) WithGrace(d time.Duration) *Service {
	c := *s
	if d > 0 {
		c.o.Grace = d
	}
	return &c
}

// WithExports is the service with the deployment's export retention, link key and link lifetime (zero values
// keep what the service has).
func (s *Service) WithExports(ttl time.Duration, linkKey []byte, linkTTL time.Duration) *Service {
	c := *s
	if ttl > 0 {
		c.o.ExportTTL = ttl
	}
	if linkKey != nil {
		c.o.LinkKey = linkKey
	}
	if linkTTL > 0 {
		c.o.LinkTTL = linkTTL
	}
	return &c
}

// Run works on due erasures and exports until ctx ends, looking every interval (0 means 30 s).
func (s *Service) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.RunDueErasures(ctx); err != nil && ctx.Err() == nil {
			s.o.Log.WarnContext(ctx, "run erasures", "err", err)
		}
		if _, err := s.RunDueExports(ctx); err != nil && ctx.Err() == nil {
			s.o.Log.WarnContext(ctx, "run exports", "err", err)
		}
		if n, err := s.ExpireExports(ctx); err != nil && ctx.Err() == nil {
			s.o.Log.WarnContext(ctx, "expire exports", "err", err)
		} else if n > 0 {
			s.o.Log.InfoContext(ctx, "expired exports and purged their files", "exports", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
