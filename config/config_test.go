package config

import (
	"slices"
	"strings"
	"testing"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestJWKSFiles(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"HEALTHSYNC_JWT_JWKS": " idp.json, ,rotated.json "}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"idp.json", "rotated.json"}; !slices.Equal(c.JWTJWKS, want) {
		t.Fatalf("JWTJWKS = %q, want %q", c.JWTJWKS, want)
	}
	// A JWKS file alone is a configured key for production.
	if _, err := FromEnv(env(map[string]string{"HEALTHSYNC_ENV": "production", "HEALTHSYNC_JWT_JWKS": "idp.json"})); err != nil {
		t.Fatalf("production with a JWKS file: %v", err)
	}
	_, err = FromEnv(env(map[string]string{"HEALTHSYNC_ENV": "production"}))
	if err == nil || !strings.Contains(err.Error(), "HEALTHSYNC_JWT_JWKS") {
		t.Fatalf("production without any key: %v", err)
	}
}

func TestExportSettings(t *testing.T) {
	c, err := FromEnv(env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ExportTTL.Hours() != 168 || c.ExportLinkTTL.Minutes() != 15 || c.ExportLinkKey != "" {
		t.Fatalf("defaults: ttl %s, link ttl %s, key %q", c.ExportTTL, c.ExportLinkTTL, c.ExportLinkKey)
	}
	c, err = FromEnv(env(map[string]string{"HEALTHSYNC_EXPORT_TTL": "24h", "HEALTHSYNC_EXPORT_LINK_TTL": "5m",
		"HEALTHSYNC_EXPORT_LINK_KEY": strings.Repeat("k", 32)}))
	if err != nil || c.ExportTTL.Hours() != 24 || c.ExportLinkTTL.Minutes() != 5 || len(c.ExportLinkKey) != 32 {
		t.Fatalf("set: %+v, %v", c, err)
	}
	if _, err := FromEnv(env(map[string]string{"HEALTHSYNC_EXPORT_LINK_KEY": "short"})); err == nil ||
		!strings.Contains(err.Error(), "HEALTHSYNC_EXPORT_LINK_KEY") {
		t.Fatalf("a short key: %v", err)
	}
	if _, err := FromEnv(env(map[string]string{"HEALTHSYNC_EXPORT_LINK_TTL": "0s"})); err == nil {
		t.Fatal("a zero link lifetime was accepted")
	}
}
