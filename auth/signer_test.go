package auth

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSignerRoundTrip(t *testing.T) {
	s, err := NewHMACSigner(testSecret(), testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Truncate(time.Second)
	tok, err := s.Sign("alice", []Scope{ScopeRead, ScopeIngest, ScopeRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	// Inspect the raw token without any JWT code.
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments", len(parts))
	}
	var header map[string]any
	decodeSegment(t, parts[0], &header)
	if header["alg"] != "HS256" || header["typ"] != "JWT" || len(header) != 2 {
		t.Errorf("header = %v, want exactly alg HS256 and typ JWT", header)
	}
	var claims map[string]any
	decodeSegment(t, parts[1], &claims)
	for _, name := range []string{"iat", "nbf", "exp", "jti", "iss", "aud", "sub", "scope"} {
		if _, ok := claims[name]; !ok {
			t.Errorf("claim %s missing from %v", name, claims)
		}
	}
	if claims["scope"] != "read ingest" {
		t.Errorf("scope claim = %v, want %q", claims["scope"], "read ingest")
	}
	if iat, exp := claims["iat"].(float64), claims["exp"].(float64); exp-iat != 3600 {
		t.Errorf("exp - iat = %v, want 3600", exp-iat)
	}

	v := newTestVerifier(t, Config{HMACSecret: testSecret(), Issuer: testIssuer, Audience: testAudience, Now: time.Now})
	p, err := v.Verify(tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p.Subject != "alice" || !slices.Equal(p.Scopes, []Scope{ScopeRead, ScopeIngest}) || p.TokenID == "" {
		t.Errorf("principal = %+v", p)
	}
	if d := p.ExpiresAt.Sub(before); d < time.Hour || d > time.Hour+5*time.Second {
		t.Errorf("expires %s after signing, want about 1h", d)
	}

	tok2, err := s.Sign("alice", []Scope{ScopeRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := v.Verify(tok2)
	if err != nil {
		t.Fatal(err)
	}
	if p2.TokenID == p.TokenID {
		t.Errorf("two tokens share jti %q", p.TokenID)
	}

	// The same token must fail where the configuration differs.
	for name, cfg := range map[string]Config{
		"other audience": {HMACSecret: testSecret(), Audience: "elsewhere", Now: time.Now},
		"other issuer":   {HMACSecret: testSecret(), Issuer: "https://other.test", Now: time.Now},
		"other secret":   {HMACSecret: []byte(strings.Repeat("k", 32)), Now: time.Now},
		"expired by now": {HMACSecret: testSecret(), Now: func() time.Time { return time.Now().Add(2 * time.Hour) }},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := newTestVerifier(t, cfg).Verify(tok); err == nil {
				t.Error("token accepted")
			}
		})
	}
}

func TestSignerOmitsUnsetIssuerAudience(t *testing.T) {
	s, err := NewHMACSigner(testSecret(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign("svc", nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	decodeSegment(t, strings.Split(tok, ".")[1], &claims)
	for _, name := range []string{"iss", "aud", "scope"} {
		if _, ok := claims[name]; ok {
			t.Errorf("claim %s present: %v", name, claims)
		}
	}
}

func TestSignerRefuses(t *testing.T) {
	if _, err := NewHMACSigner([]byte("short"), "", ""); err == nil {
		t.Error("NewHMACSigner accepted a 5-byte secret")
	}
	s, err := NewHMACSigner(testSecret(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		subject string
		scopes  []Scope
		ttl     time.Duration
	}{
		{"empty subject", "", []Scope{ScopeRead}, time.Hour},
		{"long subject", strings.Repeat("a", MaxSubjectLength+1), []Scope{ScopeRead}, time.Hour},
		{"control in subject", "a\x00b", []Scope{ScopeRead}, time.Hour},
		{"unknown scope", "alice", []Scope{"root"}, time.Hour},
		{"zero ttl", "alice", []Scope{ScopeRead}, 0},
		{"sub-second ttl", "alice", []Scope{ScopeRead}, time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tok, err := s.Sign(tc.subject, tc.scopes, tc.ttl); err == nil {
				t.Errorf("Sign returned %d-byte token", len(tok))
			}
		})
	}
}

func TestParseScopes(t *testing.T) {
	tests := []struct {
		in      string
		want    []Scope
		wantErr bool
	}{
		{in: "ingest,read", want: []Scope{ScopeIngest, ScopeRead}},
		{in: "ingest read", want: []Scope{ScopeIngest, ScopeRead}},
		{in: " read , ingest ", want: []Scope{ScopeRead, ScopeIngest}},
		{in: "read", want: []Scope{ScopeRead}},
		{in: "read,read", want: []Scope{ScopeRead}},
		{in: "admin", want: []Scope{ScopeAdmin}},
		{in: "", wantErr: true},
		{in: " , ", wantErr: true},
		{in: "root", wantErr: true},
		{in: "ingest,root", wantErr: true},
		{in: "READ", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseScopes(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseScopes(%q) = %q, want error", tc.in, got)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("ParseScopes(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestLoadOrCreateDevSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "nested")
	first, created, err := LoadOrCreateDevSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !created || len(first) != 32 {
		t.Fatalf("first call: created=%v, %d bytes", created, len(first))
	}
	path := filepath.Join(dir, DevSecretFile)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", info.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(raw)); got != hex.EncodeToString(first) {
		t.Errorf("file holds %q, want hex of the returned secret", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the secret", len(entries))
	}

	second, created, err := LoadOrCreateDevSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	if created || !slices.Equal(first, second) {
		t.Errorf("second call: created=%v, same secret=%v", created, slices.Equal(first, second))
	}

	other, _, err := LoadOrCreateDevSecret(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(first, other) {
		t.Error("two directories got the same secret")
	}

	// The secret must work with the signer and verifier it exists for.
	s, err := NewHMACSigner(first, "", "")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign("dev", []Scope{ScopeIngest}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newTestVerifier(t, Config{HMACSecret: second, Now: time.Now}).Verify(tok); err != nil {
		t.Errorf("reloaded secret does not verify: %v", err)
	}
}

func TestLoadOrCreateDevSecretRefusesBadFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
	}{
		{"not hex", "zz", 0o600},
		{"too short", hex.EncodeToString(make([]byte, 16)), 0o600},
		{"group readable", hex.EncodeToString(make([]byte, 32)), 0o640},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.mode&0o077 != 0 && runtime.GOOS == "windows" {
				t.Skip("no POSIX modes")
			}
			dir := t.TempDir()
			path := filepath.Join(dir, DevSecretFile)
			if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			if secret, _, err := LoadOrCreateDevSecret(dir); err == nil {
				t.Fatalf("accepted %d-byte secret", len(secret))
			}
			// A refused file is reported, never silently replaced.
			raw, err := os.ReadFile(path)
			if err != nil || string(raw) != tc.content {
				t.Errorf("file changed to %q (%v)", raw, err)
			}
		})
	}
}

func decodeSegment(t *testing.T, seg string, into any) {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatal(err)
	}
}
