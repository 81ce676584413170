package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"

	"healthsync/config"
)

// devExportLinkKeyFile holds the development key that signs export download links when
// HEALTHSYNC_EXPORT_LINK_KEY is unset.
const devExportLinkKeyFile = "export-link.key"

// exportLinkKey is the key that signs exports' download links: the configured one, else (development) one kept
// in the data folder, so links survive a restart and every process of a shared data folder accepts them. In
// production without a key the server offers no signed links (nil): a key made up per process would refuse the
// links another process handed out.
func exportLinkKey(cfg config.Config, log *slog.Logger) ([]byte, error) {
	if cfg.ExportLinkKey != "" {
		return []byte(cfg.ExportLinkKey), nil
	}
	if cfg.Production() {
		log.Warn("no HEALTHSYNC_EXPORT_LINK_KEY: exports download with a bearer token only (no signed links)")
		return nil, nil
	}
	k, err := loadOrCreateDevFile(cfg.DataDir, devExportLinkKeyFile, func() (string, error) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("generate export link key: %w", err)
		}
		return base64.StdEncoding.EncodeToString(b), nil
	})
	if err != nil {
		return nil, err
	}
	return []byte(k), nil
}
