package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"healthsync/config"
)

// In development without HEALTHSYNC_EXPORT_LINK_KEY, the key is made once and kept in the data folder (links
// survive a restart); a configured key wins; production without one offers no links.
func TestExportLinkKey(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	cfg := config.Config{DataDir: dir, Env: "development"}
	k1, err := exportLinkKey(cfg, log)
	if err != nil || len(k1) < 32 {
		t.Fatalf("development key: %q, %v", k1, err)
	}
	if _, err := os.Stat(filepath.Join(dir, devExportLinkKeyFile)); err != nil {
		t.Fatalf("the key is not kept in the data folder: %v", err)
	}
	if k2, err := exportLinkKey(cfg, log); err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second start: %q, %v; want the kept key", k2, err)
	}
	cfg.ExportLinkKey = "configured-key-of-at-least-32-bytes!"
	if k, _ := exportLinkKey(cfg, log); string(k) != cfg.ExportLinkKey {
		t.Fatalf("configured key ignored: %q", k)
	}
	if k, err := exportLinkKey(config.Config{DataDir: t.TempDir(), Env: "production"}, log); k != nil || err != nil {
		t.Fatalf("production without a key: %q, %v", k, err)
	}
}
