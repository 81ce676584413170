package cloudsync

import (
	"context"
	"strings"

	"healthsync/cloud/providers"
	"healthsync/db"
)

// subscriptionsLock is the advisory lock key under which one process at a time keeps the subscriptions.
const subscriptionsLock = 0x6873_7562_7363 // "hsubsc"

// EnsureSubscriptions keeps the webhook subscriptions of providers that manage them through their API (Oura)
// in place for this server's webhook URLs: created when missing, renewed before they lapse. One process does
// it at a time (an advisory lock); the others skip. It reports the first error after trying every provider.
func (s *Service) EnsureSubscriptions(ctx context.Context) error {
	var first error
	err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
		got, err := tx.TryLock(ctx, subscriptionsLock)
		if err != nil || !got {
			return err
		}
		for name, p := range s.providers {
			sub, ok := p.Adapter.(providers.Subscriber)
			if !ok || p.Config.ClientID == "" {
				continue
			}
			callback := s.o.PublicURL + "/providers/" + strings.ToLower(string(name)) + "/webhook"
			created, renewed, err := sub.EnsureSubscriptions(ctx, p.Config, s.o.HTTPClient, callback, s.o.Now())
			if err != nil {
				s.o.Logger.Error("cloud provider webhook subscriptions", "provider", name, "err", err)
				if first == nil {
					first = err
				}
				continue
			}
			if created+renewed > 0 {
				s.o.Logger.Info("cloud provider webhook subscriptions", "provider", name, "created", created, "renewed", renewed)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return first
}
