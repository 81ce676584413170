package main

import (
	"context"
	"fmt"
	"log/slog"

	"healthsync/config"
	"healthsync/webhooks"
)

// loadWebhooks registers the endpoints HEALTHSYNC_WEBHOOKS describes; a wrong entry stops the start-up, since a
// server that silently sends nothing to a misconfigured receiver is worse than one that does not start.
func loadWebhooks(ctx context.Context, cfg config.Config, svc *webhooks.Service, log *slog.Logger) error {
	if cfg.Webhooks == "" {
		return nil
	}
	n, err := svc.LoadConfig(ctx, []byte(cfg.Webhooks))
	if err != nil {
		return fmt.Errorf("HEALTHSYNC_WEBHOOKS: %w", err)
	}
	log.Info("webhook endpoints registered from configuration", "endpoints", n)
	return nil
}
