//go:build linux

package pgembed

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A second process finds the server that `healthsync serve` started on the folder and connects beside it.
func TestRunningFindsTheServerOnADataDir(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dataDir := filepath.Join(t.TempDir(), "held")
	if _, ok, err := Running(dataDir, "postgres"); ok || err != nil {
		t.Fatalf("Running on a folder without a cluster: ok %v, err %v; want neither", ok, err)
	}
	s := startServer(t, Options{DataDir: dataDir, Ephemeral: true, Port: 5439})
	if err := s.EnsureDatabase(ctx, "healthsync"); err != nil {
		t.Fatal(err)
	}
	dsn, ok, err := Running(dataDir, "healthsync")
	if err != nil || !ok {
		t.Fatalf("Running beside a live server: ok %v, err %v", ok, err)
	}
	db := open(t, dsn)
	var name string
	if err := db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name); err != nil || name != "healthsync" {
		t.Fatalf("connected to %q (%v), want healthsync", name, err)
	}
	db.Close()

	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Running(dataDir, "healthsync"); ok || err != nil {
		t.Errorf("Running after Stop: ok %v, err %v; want no server", ok, err)
	}
}
