package dbtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"healthsync/pgembed"
)

// OwnServer is a PostgreSQL of one test's own, for tests that stop and start it (outages, restarts under
// load), which the shared server of Main must never see. Its socket lives in its data folder, so DSN stays the
// same across a restart; its clock is shifted like the shared one's (EnvTimeShift).
type OwnServer struct {
	opts pgembed.Options
	mu   sync.Mutex
	pg   *pgembed.Server // nil while stopped
	dsn  string          // of the first start; a restart that would change it fails
}

// NewOwnServer starts the server with an empty database "healthsync"; it is stopped when the test ends.
func NewOwnServer(t testing.TB) *OwnServer {
	t.Helper()
	SkipOnCitus(t, "stops and restarts a single PostgreSQL of its own; outages of a Citus node are not modelled")
	s := &OwnServer{opts: pgembed.Options{DataDir: filepath.Join(t.TempDir(), "pg"), Ephemeral: true,
		ClockShift: ClockShift(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.Stop(ctx)
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.pg.EnsureDatabase(ctx, "healthsync"); err != nil {
		t.Fatal(err)
	}
	return s
}

// DSN connects to its database "healthsync".
func (s *OwnServer) DSN() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dsn
}

// Stop shuts the server down (fast shutdown: sessions are cut, as in an outage); stopping a stopped one is
// a no-op.
func (s *OwnServer) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pg == nil {
		return nil
	}
	err := s.pg.Stop(ctx)
	s.pg = nil
	return err
}

// Start starts it again on the same data.
func (s *OwnServer) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pg != nil {
		return nil
	}
	pg, err := pgembed.Start(ctx, s.opts)
	if err != nil {
		return err
	}
	s.pg = pg
	if dsn := pg.DSN("healthsync"); s.dsn == "" {
		s.dsn = dsn
	} else if dsn != s.dsn {
		return fmt.Errorf("dbtest: the restarted server's address changed (%s, was %s): its socket is not in its data folder", dsn, s.dsn)
	}
	return nil
}
