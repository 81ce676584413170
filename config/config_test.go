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
