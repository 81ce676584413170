package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"healthsync/auth"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestTokenCommandMintsAVerifiableToken(t *testing.T) {
	secret := "a-configured-secret-of-at-least-32-bytes!"
	env := envOf(map[string]string{"HEALTHSYNC_JWT_SECRET": secret, "HEALTHSYNC_JWT_ISSUER": "iss-x",
		"HEALTHSYNC_JWT_AUDIENCE": "aud-y", "HEALTHSYNC_DATA_DIR": t.TempDir()})
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"token", "--user", "alice", "--scope", "ingest,read", "--ttl", "1h"}, env, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{HMACSecret: []byte(secret), Issuer: "iss-x", Audience: "aud-y"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("minted token does not verify: %v", err)
	}
	if p.Subject != "alice" || !p.Has(auth.ScopeIngest) || !p.Has(auth.ScopeRead) {
		t.Fatalf("principal %+v", p)
	}
}

func TestTokenCommandWithoutConfigurationUsesTheDevSecret(t *testing.T) {
	dir := t.TempDir()
	env := envOf(map[string]string{"HEALTHSYNC_DATA_DIR": dir})
	var out1, out2, errOut bytes.Buffer
	for _, out := range []*bytes.Buffer{&out1, &out2} {
		if err := run(context.Background(), []string{"token", "--user", "dev"}, env, out, &errOut); err != nil {
			t.Fatal(err)
		}
	}
	secret, created, err := auth.LoadOrCreateDevSecret(dir)
	if err != nil || created {
		t.Fatalf("the first call should have created the secret: created=%v err=%v", created, err)
	}
	v, _ := auth.NewVerifier(auth.Config{HMACSecret: secret})
	for _, tok := range []string{out1.String(), out2.String()} {
		if _, err := v.Verify(strings.TrimSpace(tok)); err != nil {
			t.Fatalf("token does not verify with the stored dev secret: %v", err)
		}
	}
}

func TestCommandErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	cases := map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"unknown command":    {[]string{"frobnicate"}, nil, "unknown command"},
		"token without user": {[]string{"token"}, map[string]string{"HEALTHSYNC_DATA_DIR": t.TempDir()}, "--user"},
		"unknown scope":      {[]string{"token", "--user", "a", "--scope", "root"}, map[string]string{"HEALTHSYNC_DATA_DIR": t.TempDir()}, "scope"},
		"bad env":            {[]string{"token"}, map[string]string{"HEALTHSYNC_ENV": "staging"}, "HEALTHSYNC_ENV"},
		"bad limit":          {[]string{"serve"}, map[string]string{"HEALTHSYNC_MAX_BATCH_ITEMS": "-3"}, "HEALTHSYNC_MAX_BATCH_ITEMS"},
		"production no key":  {[]string{"serve"}, map[string]string{"HEALTHSYNC_ENV": "production"}, "HEALTHSYNC_JWT_SECRET"},
		"short secret":       {[]string{"token", "--user", "a"}, map[string]string{"HEALTHSYNC_JWT_SECRET": "short"}, "32"},
	}
	for name, c := range cases {
		err := run(context.Background(), c.args, envOf(c.env), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, c.want)
		}
	}
}
