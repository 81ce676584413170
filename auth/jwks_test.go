package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
)

// JWK Sets in these tests are written from the standard library's key values, like the tokens (see forge), so
// they do not depend on anything the package itself produces.

func rsaJWK(k *rsa.PublicKey, kv ...string) map[string]any {
	return jwkWith(map[string]any{"kty": "RSA", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}, kv...)
}

func ecJWK(t *testing.T, k *ecdsa.PublicKey, kv ...string) map[string]any {
	t.Helper()
	point, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return jwkWith(map[string]any{"kty": "EC", "crv": "P-256", "x": b64(point[1:33]), "y": b64(point[33:])}, kv...)
}

func edJWK(k ed25519.PrivateKey, kv ...string) map[string]any {
	return jwkWith(map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(k.Public().(ed25519.PublicKey))}, kv...)
}

func jwkWith(m map[string]any, kv ...string) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func writeJWKS(t *testing.T, dir, name string, keys ...map[string]any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, b)
}

func TestVerifyJWKS(t *testing.T) {
	k := newTestKeys(t)
	other := newTestKeys(t)
	dir := t.TempDir()
	path := writeJWKS(t, dir, "idp.json",
		rsaJWK(&k.rsa.PublicKey, "kid", "rsa-2026-01", "use", "sig", "alg", "RS256"),
		ecJWK(t, &k.ec.PublicKey, "kid", "ec-1"),
		edJWK(k.ed), // no kid: answers to its thumbprint only
		// Skipped: an encryption key, a key pinned to an algorithm we refuse, a curve we do not verify with.
		rsaJWK(&other.rsa.PublicKey, "kid", "enc-key", "use", "enc"),
		rsaJWK(&other.rsa.PublicKey, "kid", "rs512-key", "alg", "RS512"),
		map[string]any{"kty": "EC", "crv": "P-384", "kid": "p384", "x": "AA", "y": "AA"},
	)
	v := newTestVerifier(t, Config{JWKSFiles: []string{path}, Issuer: testIssuer, Audience: testAudience})
	edThumb, err := jwkThumbprint(k.ed.Public())
	if err != nil {
		t.Fatal(err)
	}
	rsaThumb, err := jwkThumbprint(&k.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	hugeKID := strings.Repeat("k", MaxTokenBytes)

	tests := []struct {
		name, token, reason string
	}{
		{"RS256 by kid", forge(t, hdr("RS256", "kid", "rsa-2026-01"), validClaims(), rs256(t, k.rsa)), ""},
		{"RS256 by thumbprint", forge(t, hdr("RS256", "kid", rsaThumb), validClaims(), rs256(t, k.rsa)), ""},
		{"ES256 by kid", forge(t, hdr("ES256", "kid", "ec-1"), validClaims(), es256(t, k.ec)), ""},
		{"EdDSA by thumbprint", forge(t, hdr("EdDSA", "kid", edThumb), validClaims(), eddsa(k.ed)), ""},
		{"RS256 without kid", forge(t, hdr("RS256"), validClaims(), rs256(t, k.rsa)), ""},

		{"kid of an encryption key", forge(t, hdr("RS256", "kid", "enc-key"), validClaims(), rs256(t, other.rsa)), "unknown key id"},
		{"kid of a key pinned to RS512", forge(t, hdr("RS256", "kid", "rs512-key"), validClaims(), rs256(t, other.rsa)), "unknown key id"},
		{"skipped key not tried without kid", forge(t, hdr("RS256"), validClaims(), rs256(t, other.rsa)), "invalid signature"},
		{"kid names the EC key, RSA signature", forge(t, hdr("RS256", "kid", "ec-1"), validClaims(), rs256(t, k.rsa)), "key id does not match algorithm"},
		{"alg none", forge(t, hdr("none", "kid", "rsa-2026-01"), validClaims(), nil), "unsupported algorithm none"},
		{"HS256 keyed with the RSA modulus (confusion)", forge(t, hdr("HS256"), validClaims(), hs256(k.rsa.N.Bytes())), "unsupported algorithm HS256"},
		{"HS256 keyed with the JWKS file bytes", forge(t, hdr("HS256", "kid", "rsa-2026-01"), validClaims(), hs256([]byte(path))), "unsupported algorithm HS256"},
		{"RS512 by the RSA key", forge(t, hdr("RS512", "kid", "rsa-2026-01"), validClaims(), rs512(t, k.rsa)), "unsupported algorithm RS512"},
		{"wrong iss", forge(t, hdr("ES256", "kid", "ec-1"), with("iss", "https://evil.test"), es256(t, k.ec)), "wrong issuer"},
		{"wrong aud", forge(t, hdr("ES256", "kid", "ec-1"), with("aud", "other-api"), es256(t, k.ec)), "wrong audience"},
		{"no exp", forge(t, hdr("ES256", "kid", "ec-1"), with("exp", nil), es256(t, k.ec)), "missing expiry"},
		{"nbf in the future", forge(t, hdr("ES256", "kid", "ec-1"), with("nbf", testNow.Unix()+120), es256(t, k.ec)), "token not valid yet"},
		{"oversized header", forge(t, hdr("ES256", "kid", hugeKID), validClaims(), es256(t, k.ec)), "token too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(tc.token)
			if tc.reason != "" {
				checkRefusal(t, err, tc.token, tc.reason)
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Subject != "alice" {
				t.Fatalf("subject %q", p.Subject)
			}
		})
	}
}

// Rotation as identity providers do it: the new key is published beside the old one, tokens name their key by
// kid, and the old key is withdrawn once its tokens have expired.
func TestVerifyJWKSRotation(t *testing.T) {
	oldKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	before := newTestVerifier(t, Config{JWKSFiles: []string{writeJWKS(t, dir, "1.json", ecJWK(t, &oldKey.PublicKey, "kid", "2026-10"))}})
	during := newTestVerifier(t, Config{JWKSFiles: []string{writeJWKS(t, dir, "2.json",
		ecJWK(t, &oldKey.PublicKey, "kid", "2026-10"), ecJWK(t, &newKey.PublicKey, "kid", "2026-11"))}})
	after := newTestVerifier(t, Config{JWKSFiles: []string{writeJWKS(t, dir, "3.json", ecJWK(t, &newKey.PublicKey, "kid", "2026-11"))}})

	c := with("iss", nil, "aud", nil)
	oldTok := forge(t, hdr("ES256", "kid", "2026-10"), c, es256(t, oldKey))
	newTok := forge(t, hdr("ES256", "kid", "2026-11"), c, es256(t, newKey))
	// A kid selects exactly its key: a token signed by the old key but naming the new one does not fall back.
	misnamed := forge(t, hdr("ES256", "kid", "2026-11"), c, es256(t, oldKey))

	tests := []struct {
		name   string
		v      *Verifier
		token  string
		reason string
	}{
		{"old token before", before, oldTok, ""},
		{"new token before", before, newTok, "unknown key id"},
		{"old token during", during, oldTok, ""},
		{"new token during", during, newTok, ""},
		{"misnamed during", during, misnamed, "invalid signature"},
		{"old token after", after, oldTok, "unknown key id"},
		{"new token after", after, newTok, ""},
		{"old key without kid after", after, forge(t, hdr("ES256"), c, es256(t, oldKey)), "invalid signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.v.Verify(tc.token)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			checkRefusal(t, err, tc.token, tc.reason)
		})
	}
}

// JWKS and PEM keys and the HMAC secret work side by side, and one key gets the same thumbprint kid either way.
func TestVerifyJWKSBesidePEM(t *testing.T) {
	k := newTestKeys(t)
	other := newTestKeys(t)
	dir := t.TempDir()
	v := newTestVerifier(t, Config{HMACSecret: testSecret(), PublicKeyFiles: []string{k.rsaPath},
		JWKSFiles: []string{writeJWKS(t, dir, "idp.json", rsaJWK(&other.rsa.PublicKey, "kid", "idp-1"))}})
	thumb, err := jwkThumbprint(&other.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	c := with("iss", nil, "aud", nil)
	for _, tok := range []string{
		forge(t, hdr("RS256", "kid", "rsa"), c, rs256(t, k.rsa)),
		forge(t, hdr("RS256", "kid", "idp-1"), c, rs256(t, other.rsa)),
		forge(t, hdr("RS256", "kid", thumb), c, rs256(t, other.rsa)),
		forge(t, hdr("RS256"), c, rs256(t, other.rsa)),
		forge(t, hdr("HS256"), c, hs256(testSecret())),
	} {
		if _, err := v.Verify(tok); err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
	// The PEM file's kid does not name the JWKS key.
	tok := forge(t, hdr("RS256", "kid", "rsa"), c, rs256(t, other.rsa))
	_, err = v.Verify(tok)
	checkRefusal(t, err, tok, "invalid signature")
}

func TestNewVerifierRefusesBadJWKS(t *testing.T) {
	dir := t.TempDir()
	good := newTestKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec := ecJWK(t, &good.ec.PublicKey)
	offCurve := jwkWith(map[string]any{"kty": "EC", "crv": "P-256", "x": ec["x"], "y": b64(make([]byte, 32))})
	private := rsaJWK(&good.rsa.PublicKey, "d", b64(good.rsa.D.Bytes()))
	tests := []struct {
		name string
		body string
		keys []map[string]any
		want string
	}{
		{name: "not JSON", body: "-----BEGIN PUBLIC KEY-----", want: "not a JWK Set"},
		{name: "no keys member", body: `{"kty":"RSA"}`, want: `no "keys" member`},
		{name: "empty set", body: `{"keys":[]}`, want: "no usable signature key"},
		{name: "only encryption keys", keys: []map[string]any{rsaJWK(&good.rsa.PublicKey, "use", "enc")}, want: "no usable signature key"},
		{name: "private RSA key", keys: []map[string]any{private}, want: "private key"},
		{name: "symmetric key", keys: []map[string]any{{"kty": "oct", "k": b64(testSecret())}}, want: "symmetric key"},
		{name: "RSA 1024", keys: []map[string]any{rsaJWK(&small.PublicKey)}, want: "1024 bits"},
		{name: "RSA modulus not base64url", keys: []map[string]any{{"kty": "RSA", "n": "n+/=", "e": "AQAB"}}, want: "RSA modulus"},
		{name: "RSA exponent 1", keys: []map[string]any{rsaJWK(&good.rsa.PublicKey, "e", b64([]byte{1}))}, want: "exponent out of range"},
		{name: "EC point off the curve", keys: []map[string]any{offCurve}, want: "EC point"},
		{name: "EC coordinate short", keys: []map[string]any{jwkWith(ecJWK(t, &good.ec.PublicKey), "x", b64([]byte{1, 2}))}, want: "EC x"},
		{name: "Ed25519 key short", keys: []map[string]any{{"kty": "OKP", "crv": "Ed25519", "x": b64([]byte{1})}}, want: "Ed25519 x"},
		{name: "missing kty", keys: []map[string]any{{"kid": "x", "n": "AQAB"}}, want: "missing kty"},
		{name: "bad key after a good one", keys: []map[string]any{ec, rsaJWK(&small.PublicKey)}, want: "key 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var path string
			if tc.keys != nil {
				path = writeJWKS(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".json", tc.keys...)
			} else {
				path = writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".json", []byte(tc.body))
			}
			v, err := NewVerifier(Config{JWKSFiles: []string{path}})
			if err == nil {
				t.Fatalf("NewVerifier accepted the JWKS (algorithms %q)", v.Algorithms())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
		})
	}
}
