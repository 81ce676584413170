package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"healthsync/catalog"
	"healthsync/cloud/cloudsync"
	"healthsync/cloud/providers"
	"healthsync/cloud/seal"
	"healthsync/config"
	"healthsync/db"
	"healthsync/ingest"
)

// devTokenKeyFile holds the development key that seals provider tokens when HEALTHSYNC_TOKEN_KEYS is unset.
const devTokenKeyFile = "token-seal.key"

// cloudService wires the cloud provider connections, or returns nil when no provider is configured.
func cloudService(ctx context.Context, cfg config.Config, store *db.Store, svc *ingest.Service, cat *catalog.Catalog, obs cloudsync.Observer, log *slog.Logger) (*cloudsync.Service, error) {
	var provs []cloudsync.Provider
	for _, a := range adapters() {
		pc := cfg.Providers[string(a.Provider())]
		provs = append(provs, cloudsync.Provider{Adapter: a, Config: providers.Config{ClientID: pc.ClientID,
			ClientSecret: pc.ClientSecret, AuthURL: pc.AuthURL, TokenURL: pc.TokenURL, APIURL: pc.APIURL,
			WebhookSecret: pc.WebhookSecret}})
	}
	keys := cfg.TokenKeys
	if len(keys) == 0 {
		if cfg.Production() {
			// No provider configured (config refuses a provider without keys in production): the fields answer
			// PROVIDER_NOT_CONFIGURED, and no token is ever sealed.
			k, err := seal.NewKey()
			if err != nil {
				return nil, err
			}
			keys = []string{k}
		} else {
			k, err := loadOrCreateDevFile(cfg.DataDir, devTokenKeyFile, seal.NewKey)
			if err != nil {
				return nil, err
			}
			keys = []string{k}
		}
	}
	box, err := seal.New(keys...)
	if err != nil {
		return nil, fmt.Errorf("HEALTHSYNC_TOKEN_KEYS: %w", err)
	}
	var enabled []string
	for _, p := range provs {
		if p.Config.ClientID != "" {
			enabled = append(enabled, string(p.Adapter.Provider()))
		}
	}
	log.Info("cloud providers", "enabled", strings.Join(enabled, ","), "public_url", cfg.PublicURL)
	return cloudsync.New(store, svc, cat, box, provs, cloudsync.Options{PublicURL: cfg.PublicURL,
		AfterConnectURL: cfg.AfterConnectURL, BackfillDays: cfg.BackfillDays, PollEvery: cfg.ProviderPollEvery,
		Observer: obs, Logger: log}), nil
}

// loadOrCreateDevFile reads a development secret from the data folder, or makes one with gen and keeps it there.
func loadOrCreateDevFile(dir, name string, gen func() (string, error)) (string, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	k, err := gen()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create data folder: %w", err)
	}
	// O_EXCL: when two processes start at once, the second reads the first one's key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreateDevFile(dir, name, gen)
	}
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(k + "\n"); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return k, nil
}
