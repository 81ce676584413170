package main

import (
	"context"
	"strings"
	"testing"

	"healthsync/config"
	"healthsync/devtools/dbtest"
	"healthsync/webhooks"
)

// HEALTHSYNC_WEBHOOKS registers its endpoints at start-up; a wrong entry stops the start with the variable named.
func TestWebhooksFromConfiguration(t *testing.T) {
	st, err := openStore(context.Background(), config.Config{DatabaseURL: dbtest.NewDSN(t)}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.close)
	svc := webhooks.NewService(st.Store, nil)
	bad := config.Config{Webhooks: `[{"name":"a","url":"https://hooks.example","secrets":["not-whsec"]}]`}
	if err := loadWebhooks(context.Background(), bad, svc, quiet()); err == nil || !strings.Contains(err.Error(), "HEALTHSYNC_WEBHOOKS") {
		t.Fatalf("a bad secret: %v", err)
	}
	secret, _ := webhooks.NewSecret()
	good := config.Config{Webhooks: `[{"name":"a","url":"https://hooks.example","secrets":["` + secret + `"],"event_types":["data.stored"]}]`}
	if err := loadWebhooks(context.Background(), good, svc, quiet()); err != nil {
		t.Fatal(err)
	}
	eps, err := svc.Endpoints(context.Background())
	if err != nil || len(eps) != 1 || !eps[0].Enabled || len(eps[0].EventTypes) != 1 {
		t.Fatalf("endpoints: %+v, %v", eps, err)
	}
}
