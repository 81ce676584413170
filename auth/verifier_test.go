package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testIssuer   = "https://issuer.test"
	testAudience = "healthsync"
)

var testNow = time.Unix(1_800_000_000, 0)

func testSecret() []byte { return []byte("0123456789abcdef0123456789abcdef") }

func validClaims() map[string]any {
	return map[string]any{
		"sub":   "alice",
		"iss":   testIssuer,
		"aud":   testAudience,
		"iat":   testNow.Unix() - 10,
		"nbf":   testNow.Unix() - 10,
		"exp":   testNow.Unix() + 600,
		"jti":   "token-1",
		"scope": "ingest read",
	}
}

// with returns validClaims changed by kv pairs; a nil value deletes the claim.
func with(kv ...any) map[string]any {
	c := validClaims()
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(c, k)
		} else {
			c[k] = kv[i+1]
		}
	}
	return c
}

func hdr(alg string, kv ...string) map[string]any {
	h := map[string]any{"alg": alg, "typ": "JWT"}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "-" {
			delete(h, kv[i])
		} else {
			h[kv[i]] = kv[i+1]
		}
	}
	return h
}

func newTestVerifier(t *testing.T, cfg Config) *Verifier {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// checkRefusal asserts the shape every Verify error must have.
func checkRefusal(t *testing.T, err error, token, wantReason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Verify accepted the token, want refusal %q", wantReason)
	}
	if !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("error %q does not wrap ErrUnauthenticated", err)
	}
	if !strings.Contains(err.Error(), wantReason) {
		t.Errorf("error %q, want reason %q", err, wantReason)
	}
	for _, seg := range strings.Split(token, ".") {
		if len(seg) >= 8 && strings.Contains(err.Error(), seg) {
			t.Errorf("error %q echoes a token segment", err)
		}
	}
}

func TestVerify(t *testing.T) {
	k := newTestKeys(t)
	full := newTestVerifier(t, Config{
		HMACSecret:     testSecret(),
		PublicKeyFiles: []string{k.rsaPath, k.ecPath, k.edPath},
		Issuer:         testIssuer,
		Audience:       testAudience,
	})
	rsaOnly := newTestVerifier(t, Config{PublicKeyFiles: []string{k.rsaPath}})

	ecThumb, err := jwkThumbprint(&k.ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	otherEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	attackerPub, attacker, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("s", MaxSubjectLength)

	tests := []struct {
		name    string
		v       *Verifier
		token   string
		reason  string // empty: must be accepted
		subject string // expected subject when accepted (default alice)
	}{
		{name: "HS256 valid", token: forge(t, hdr("HS256"), validClaims(), hs256(testSecret()))},
		{name: "RS256 valid", token: forge(t, hdr("RS256"), validClaims(), rs256(t, k.rsa))},
		{name: "ES256 valid", token: forge(t, hdr("ES256"), validClaims(), es256(t, k.ec))},
		{name: "EdDSA valid", token: forge(t, hdr("EdDSA"), validClaims(), eddsa(k.ed))},
		{name: "no typ", token: forge(t, hdr("HS256", "typ", "-"), validClaims(), hs256(testSecret()))},
		{name: "typ lower case jwt", token: forge(t, hdr("HS256", "typ", "jwt"), validClaims(), hs256(testSecret()))},
		{name: "typ at+jwt", token: forge(t, hdr("ES256", "typ", "AT+JWT"), validClaims(), es256(t, k.ec))},
		{name: "typ application/at+jwt", token: forge(t, hdr("ES256", "typ", "application/at+jwt"), validClaims(), es256(t, k.ec))},
		{name: "kid file name", token: forge(t, hdr("RS256", "kid", "rsa"), validClaims(), rs256(t, k.rsa))},
		{name: "kid thumbprint", token: forge(t, hdr("ES256", "kid", ecThumb), validClaims(), es256(t, k.ec))},
		{name: "aud array", token: forge(t, hdr("HS256"), with("aud", []string{"other", testAudience}), hs256(testSecret()))},
		{name: "subject at max length", token: forge(t, hdr("HS256"), with("sub", long), hs256(testSecret())), subject: long},
		{name: "nbf and iat absent", token: forge(t, hdr("HS256"), with("nbf", nil, "iat", nil), hs256(testSecret()))},

		{name: "alg none with empty signature", token: forge(t, hdr("none"), validClaims(), nil), reason: "unsupported algorithm none"},
		{name: "alg none without signature part", token: strings.TrimSuffix(forge(t, hdr("none"), validClaims(), nil), "."), reason: "malformed token"},
		{name: "alg NONE", token: forge(t, hdr("NONE"), validClaims(), nil), reason: "unsupported algorithm NONE"},
		{name: "alg none with a signature", token: forge(t, hdr("none"), validClaims(), hs256(testSecret())), reason: "unsupported algorithm none"},
		{name: "alg missing", token: forge(t, map[string]any{"typ": "JWT"}, validClaims(), hs256(testSecret())), reason: "missing or malformed algorithm"},
		{name: "alg not a string", token: forge(t, map[string]any{"alg": 256}, validClaims(), hs256(testSecret())), reason: "missing or malformed algorithm"},
		{name: "alg case-variant member ignored", token: forge(t, map[string]any{"ALG": "HS256"}, validClaims(), hs256(testSecret())), reason: "missing or malformed algorithm"},
		{name: "RS512 not allowed", token: forge(t, hdr("RS512"), validClaims(), rs512(t, k.rsa)), reason: "unsupported algorithm RS512"},
		{name: "garbage alg not echoed", token: forge(t, hdr("<script>alert(1)</script>"), validClaims(), hs256(testSecret())), reason: "unsupported algorithm (invalid)"},
		{
			name:   "HS256 keyed with RSA public key PEM, RSA-only verifier",
			v:      rsaOnly,
			token:  forge(t, hdr("HS256"), with("iss", nil, "aud", nil), hs256(k.rsaPEM)),
			reason: "unsupported algorithm HS256",
		},
		{
			name:   "HS256 keyed with RSA public key PEM, verifier also has a secret",
			token:  forge(t, hdr("HS256"), validClaims(), hs256(k.rsaPEM)),
			reason: "invalid signature",
		},
		{
			name:   "HS256 keyed with RSA public key PEM and kid of the RSA key",
			token:  forge(t, hdr("HS256", "kid", "rsa"), validClaims(), hs256(k.rsaPEM)),
			reason: "key id does not match algorithm",
		},
		{name: "wrong HMAC key", token: forge(t, hdr("HS256"), validClaims(), hs256([]byte("another-secret-another-secret-32b"))), reason: "invalid signature"},
		{name: "ES256 by a foreign key", token: forge(t, hdr("ES256"), validClaims(), es256(t, otherEC)), reason: "invalid signature"},
		{name: "ES256 signature in ASN.1 form", token: forge(t, hdr("ES256"), validClaims(), es256DER(t, k.ec)), reason: "invalid signature"},
		{name: "RS256 signature on ES256 header", token: forge(t, hdr("ES256"), validClaims(), rs256(t, k.rsa)), reason: "invalid signature"},
		{name: "tampered payload", token: tamper(t, forge(t, hdr("HS256"), validClaims(), hs256(testSecret()))), reason: "invalid signature"},
		{
			name:   "embedded jwk header is not trusted",
			token:  forge(t, map[string]any{"alg": "EdDSA", "jwk": map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(attackerPub)}}, validClaims(), eddsa(attacker)),
			reason: "invalid signature",
		},

		{name: "expired", token: forge(t, hdr("HS256"), with("exp", testNow.Unix()-3600), hs256(testSecret())), reason: "token expired"},
		{name: "no exp", token: forge(t, hdr("HS256"), with("exp", nil), hs256(testSecret())), reason: "missing expiry"},
		{name: "exp not a number", token: forge(t, hdr("HS256"), with("exp", true), hs256(testSecret())), reason: "exp, nbf and iat must be JSON numbers"},
		{name: "nbf in the future", token: forge(t, hdr("HS256"), with("nbf", testNow.Unix()+3600), hs256(testSecret())), reason: "token not valid yet"},
		{name: "iat far in the future", token: forge(t, hdr("HS256"), with("iat", testNow.Unix()+86400), hs256(testSecret())), reason: "token issued in the future"},
		{name: "wrong iss", token: forge(t, hdr("HS256"), with("iss", "https://evil.test"), hs256(testSecret())), reason: "wrong issuer"},
		{name: "missing iss", token: forge(t, hdr("HS256"), with("iss", nil), hs256(testSecret())), reason: "missing issuer"},
		{name: "wrong aud", token: forge(t, hdr("HS256"), with("aud", "someone-else"), hs256(testSecret())), reason: "wrong audience"},
		{name: "missing aud", token: forge(t, hdr("HS256"), with("aud", nil), hs256(testSecret())), reason: "missing audience"},
		{name: "missing sub", token: forge(t, hdr("HS256"), with("sub", nil), hs256(testSecret())), reason: "missing subject"},
		{name: "empty sub", token: forge(t, hdr("HS256"), with("sub", ""), hs256(testSecret())), reason: "missing subject"},
		{name: "sub too long", token: forge(t, hdr("HS256"), with("sub", long+"s"), hs256(testSecret())), reason: "subject too long"},
		{name: "sub with newline", token: forge(t, hdr("HS256"), with("sub", "alice\nadmin"), hs256(testSecret())), reason: "subject contains control characters"},
		{name: "scope not a string", token: forge(t, hdr("HS256"), with("scope", 7), hs256(testSecret())), reason: "malformed scope claim"},

		{name: "unknown kid", token: forge(t, hdr("RS256", "kid", "nobody"), validClaims(), rs256(t, k.rsa)), reason: "unknown key id"},
		{name: "empty kid", token: forge(t, hdr("RS256", "kid", ""), validClaims(), rs256(t, k.rsa)), reason: "unknown key id"},
		{name: "kid of RSA key on ES256 token", token: forge(t, hdr("ES256", "kid", "rsa"), validClaims(), es256(t, k.ec)), reason: "key id does not match algorithm"},
		{name: "kid on HS256 token", token: forge(t, hdr("HS256", "kid", "secret"), validClaims(), hs256(testSecret())), reason: "unknown key id"},
		{name: "bad typ", token: forge(t, hdr("HS256", "typ", "JWS"), validClaims(), hs256(testSecret())), reason: "unsupported token type"},
		{name: "typ not a string", token: forge(t, map[string]any{"alg": "HS256", "typ": 1}, validClaims(), hs256(testSecret())), reason: "unsupported token type"},
		{name: "crit header", token: forge(t, map[string]any{"alg": "HS256", "crit": []string{"exp"}, "exp": 1}, validClaims(), hs256(testSecret())), reason: "unsupported critical header"},
		{name: "oversized", token: forge(t, hdr("HS256"), with("pad", strings.Repeat("x", MaxTokenBytes)), hs256(testSecret())), reason: "token too large"},
		{name: "empty", token: "", reason: "malformed token"},
		{name: "four segments", token: forge(t, hdr("HS256"), validClaims(), hs256(testSecret())) + ".x", reason: "malformed token"},
		{name: "header not base64url", token: "eyJ+.eyJ9.c2ln", reason: "malformed token header"},
		{name: "header padded base64", token: b64([]byte(`{"alg":"HS256"}`)) + "=.e30.c2ln", reason: "malformed token header"},
		{name: "header not an object", token: forgeRaw([]byte(`["HS256"]`), []byte(`{}`), hs256(testSecret())), reason: "malformed token header"},
		{name: "payload not JSON", token: forgeRaw([]byte(`{"alg":"HS256"}`), []byte(`sub=alice`), hs256(testSecret())), reason: "malformed token"},
		{name: "missing signature with real alg", token: forge(t, hdr("HS256"), validClaims(), nil), reason: "missing signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.v
			if v == nil {
				v = full
			}
			p, err := v.Verify(tc.token)
			if tc.reason != "" {
				checkRefusal(t, err, tc.token, tc.reason)
				if p.Subject != "" || p.Scopes != nil {
					t.Errorf("refused token still produced principal %+v", p)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := Principal{
				Subject:   "alice",
				Scopes:    []Scope{ScopeIngest, ScopeRead},
				ExpiresAt: testNow.Add(600 * time.Second),
				TokenID:   "token-1",
			}
			if tc.subject != "" {
				want.Subject = tc.subject
			}
			if p.Subject != want.Subject || !slices.Equal(p.Scopes, want.Scopes) ||
				!p.ExpiresAt.Equal(want.ExpiresAt) || p.TokenID != want.TokenID {
				t.Errorf("principal = %+v, want %+v", p, want)
			}
			if !p.Has(ScopeIngest) || !p.Has(ScopeRead) {
				t.Errorf("principal %+v lacks a granted scope", p)
			}
		})
	}
}

// tamper rewrites the subject after signing, keeping the old signature.
func tamper(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	c := validClaims()
	c["sub"] = "mallory"
	forged := forge(t, hdr("HS256"), c, nil)
	return strings.TrimSuffix(forged, ".") + "." + parts[2]
}

func TestVerifyHeaderURLsAreNeverFetched(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	defer srv.Close()

	k := newTestKeys(t)
	v := newTestVerifier(t, Config{PublicKeyFiles: []string{k.edPath}})
	_, attacker, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	header := map[string]any{"alg": "EdDSA", "jku": srv.URL + "/jwks", "x5u": srv.URL + "/cert"}
	claims := with("iss", nil, "aud", nil)

	forged := forge(t, header, claims, eddsa(attacker))
	_, err = v.Verify(forged)
	checkRefusal(t, err, forged, "invalid signature")

	// The same header on an honestly signed token changes nothing either.
	honest := forge(t, header, claims, eddsa(k.ed))
	if _, err := v.Verify(honest); err != nil {
		t.Errorf("honest token with jku/x5u refused: %v", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("verifier made %d request(s) to header URLs", n)
	}
}

func TestVerifyTokenSizeLimit(t *testing.T) {
	v := newTestVerifier(t, Config{HMACSecret: testSecret()})
	// Find padding lengths giving tokens of exactly the limit and one byte
	// over; base64 cannot hit every length, so try both header shapes.
	var atLimit, overLimit string
	for _, h := range []map[string]any{hdr("HS256"), hdr("HS256", "typ", "-")} {
		for n := MaxTokenBytes / 2; n < MaxTokenBytes; n++ {
			tok := forge(t, h, with("pad", strings.Repeat("x", n), "iss", nil, "aud", nil), hs256(testSecret()))
			if len(tok) > MaxTokenBytes+1 {
				break
			}
			switch len(tok) {
			case MaxTokenBytes:
				atLimit = tok
			case MaxTokenBytes + 1:
				overLimit = tok
			}
		}
	}
	if atLimit == "" || overLimit == "" {
		t.Fatal("could not build tokens at the size boundary")
	}
	if _, err := v.Verify(atLimit); err != nil {
		t.Errorf("token of exactly %d bytes refused: %v", MaxTokenBytes, err)
	}
	_, err := v.Verify(overLimit)
	checkRefusal(t, err, overLimit, "token too large")
}

func TestVerifyLeewayBoundary(t *testing.T) {
	now := testNow.Unix()
	tests := []struct {
		name   string
		leeway time.Duration
		claims map[string]any
		reason string
	}{
		{"exp just inside default leeway", 0, with("exp", now-29), ""},
		{"exp at default leeway", 0, with("exp", now-30), "token expired"},
		{"exp now is still inside leeway", 0, with("exp", now), ""},
		{"nbf at default leeway", 0, with("nbf", now+30), ""},
		{"nbf past default leeway", 0, with("nbf", now+31), "token not valid yet"},
		{"iat at default leeway", 0, with("iat", now+30), ""},
		{"iat past default leeway", 0, with("iat", now+31), "token issued in the future"},
		{"exp inside custom leeway", 5 * time.Second, with("exp", now-4), ""},
		{"exp at custom leeway", 5 * time.Second, with("exp", now-5), "token expired"},
		{"nbf past custom leeway", 5 * time.Second, with("nbf", now+6), "token not valid yet"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVerifier(t, Config{HMACSecret: testSecret(), Leeway: tc.leeway, Issuer: testIssuer, Audience: testAudience})
			tok := forge(t, hdr("HS256"), tc.claims, hs256(testSecret()))
			_, err := v.Verify(tok)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			checkRefusal(t, err, tok, tc.reason)
		})
	}
}

func TestVerifyScopeClaim(t *testing.T) {
	v := newTestVerifier(t, Config{HMACSecret: testSecret()})
	tests := []struct {
		name  string
		scope any // nil: claim absent
		want  []Scope
	}{
		{"space separated", "ingest read", []Scope{ScopeIngest, ScopeRead}},
		{"comma separated", "read,ingest", []Scope{ScopeRead, ScopeIngest}},
		{"commas and spaces", " ingest , read ", []Scope{ScopeIngest, ScopeRead}},
		{"tabs", "ingest\tread", []Scope{ScopeIngest, ScopeRead}},
		{"single", "read", []Scope{ScopeRead}},
		{"duplicates collapse", "read read,read", []Scope{ScopeRead}},
		{"array", []string{"ingest", "read"}, []Scope{ScopeIngest, ScopeRead}},
		{"array with blanks", []string{" read ", ""}, []Scope{ScopeRead}},
		{"unknown words kept", "read admin", []Scope{ScopeRead, "admin"}},
		{"empty string", "", []Scope{}},
		{"absent", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := with("scope", tc.scope, "iss", nil, "aud", nil)
			p, err := v.Verify(forge(t, hdr("HS256"), c, hs256(testSecret())))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !slices.Equal(p.Scopes, tc.want) {
				t.Errorf("scopes = %q, want %q", p.Scopes, tc.want)
			}
			for _, s := range KnownScopes() {
				if got, want := p.Has(s), slices.Contains(tc.want, s); got != want {
					t.Errorf("Has(%q) = %v, want %v", s, got, want)
				}
			}
		})
	}

	for name, raw := range map[string]any{
		"number":          7,
		"object":          map[string]any{"read": true},
		"array of number": []any{"read", 1},
	} {
		t.Run("malformed "+name, func(t *testing.T) {
			tok := forge(t, hdr("HS256"), with("scope", raw, "iss", nil, "aud", nil), hs256(testSecret()))
			_, err := v.Verify(tok)
			checkRefusal(t, err, tok, "malformed scope claim")
		})
	}
}

func TestVerifyMultiKeyFile(t *testing.T) {
	k := newTestKeys(t)
	rsa2 := newTestKeys(t).rsa
	bundle := slices.Concat(
		pkixPEM(t, &k.rsa.PublicKey),
		pkixPEM(t, &k.ec.PublicKey),
		pkixPEM(t, k.ed.Public()),
		pkixPEM(t, &rsa2.PublicKey),
	)
	path := writeFile(t, t.TempDir(), "bundle.keys.pem", bundle)
	v := newTestVerifier(t, Config{PublicKeyFiles: []string{path}})
	c := with("iss", nil, "aud", nil)

	tests := []struct {
		name   string
		token  string
		reason string
	}{
		{"indexed kid first key", forge(t, hdr("RS256", "kid", "bundle.keys#1"), c, rs256(t, k.rsa)), ""},
		{"indexed kid fourth key", forge(t, hdr("RS256", "kid", "bundle.keys#4"), c, rs256(t, rsa2)), ""},
		{"indexed kid EC key", forge(t, hdr("ES256", "kid", "bundle.keys#2"), c, es256(t, k.ec)), ""},
		{"file kid tries every key of the type", forge(t, hdr("RS256", "kid", "bundle.keys"), c, rs256(t, rsa2)), ""},
		{"no kid tries every key of the type", forge(t, hdr("RS256"), c, rs256(t, rsa2)), ""},
		{"indexed kid names another key", forge(t, hdr("RS256", "kid", "bundle.keys#1"), c, rs256(t, rsa2)), "invalid signature"},
		{"indexed kid of wrong type", forge(t, hdr("RS256", "kid", "bundle.keys#3"), c, rs256(t, k.rsa)), "key id does not match algorithm"},
		{"index out of range", forge(t, hdr("RS256", "kid", "bundle.keys#5"), c, rs256(t, k.rsa)), "unknown key id"},
		{"HS256 not enabled by public keys", forge(t, hdr("HS256"), c, hs256(testSecret())), "unsupported algorithm HS256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.token)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			checkRefusal(t, err, tc.token, tc.reason)
		})
	}
	if got, want := v.Algorithms(), []string{"ES256", "EdDSA", "RS256"}; !slices.Equal(got, want) {
		t.Errorf("Algorithms() = %q, want %q", got, want)
	}
}

// RFC 7519 §2 makes exp, nbf and iat NumericDates, JSON numbers; golang-jwt also reads a string holding digits,
// which an issuer bug (or a forger probing us) should not get away with.
func TestVerifyTimeClaimsMustBeNumbers(t *testing.T) {
	v := newTestVerifier(t, Config{HMACSecret: testSecret(), Issuer: testIssuer, Audience: testAudience})
	c := validClaims()
	for _, claim := range []string{"exp", "nbf", "iat"} {
		t.Run(claim, func(t *testing.T) {
			n, ok := c[claim].(int64)
			if !ok {
				t.Fatalf("validClaims' %s is %T, want int64", claim, c[claim])
			}
			tok := forge(t, hdr("HS256"), with(claim, strconv.FormatInt(n, 10)), hs256(testSecret()))
			_, err := v.Verify(tok)
			checkRefusal(t, err, tok, "exp, nbf and iat must be JSON numbers")
			// The same value as a number is accepted, so the refusal is about the type alone.
			if _, err := v.Verify(forge(t, hdr("HS256"), with(claim, n), hs256(testSecret()))); err != nil {
				t.Fatalf("numeric %s refused: %v", claim, err)
			}
		})
	}
}
