package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

// Tokens in these tests are assembled by hand from the standard library, so
// a bug shared by golang-jwt, our Signer and our Verifier cannot hide itself.

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

type signFunc func(signingInput []byte) []byte

// forge builds header.payload.signature. A nil sign leaves the signature
// segment empty (the `alg: none` shape).
func forge(t *testing.T, header, claims map[string]any, sign signFunc) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return forgeRaw(h, c, sign)
}

func forgeRaw(header, payload []byte, sign signFunc) string {
	in := b64(header) + "." + b64(payload)
	if sign == nil {
		return in + "."
	}
	return in + "." + b64(sign([]byte(in)))
}

func hs256(key []byte) signFunc {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(in)
		return m.Sum(nil)
	}
}

func rs256(t *testing.T, k *rsa.PrivateKey) signFunc {
	return func(in []byte) []byte {
		sum := sha256.Sum256(in)
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

func rs512(t *testing.T, k *rsa.PrivateKey) signFunc {
	return func(in []byte) []byte {
		sum := sha512.Sum512(in)
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA512, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

// es256 produces the JWS form of an ECDSA signature: R and S as fixed
// 32-byte big-endian integers (RFC 7518 §3.4), not ASN.1.
func es256(t *testing.T, k *ecdsa.PrivateKey) signFunc {
	return func(in []byte) []byte {
		sum := sha256.Sum256(in)
		r, s, err := ecdsa.Sign(rand.Reader, k, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig
	}
}

// es256DER signs with the ASN.1 encoding a JWS verifier must refuse.
func es256DER(t *testing.T, k *ecdsa.PrivateKey) signFunc {
	return func(in []byte) []byte {
		sum := sha256.Sum256(in)
		sig, err := ecdsa.SignASN1(rand.Reader, k, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

func eddsa(k ed25519.PrivateKey) signFunc {
	return func(in []byte) []byte { return ed25519.Sign(k, in) }
}

// testKeys are generated per test and written as PUBLIC KEY PEM files named
// rsa.pem, ec.pem and ed.pem, so their file-name kids are "rsa", "ec", "ed".
type testKeys struct {
	rsa                     *rsa.PrivateKey
	ec                      *ecdsa.PrivateKey
	ed                      ed25519.PrivateKey
	rsaPath, ecPath, edPath string
	rsaPEM                  []byte
}

func newTestKeys(t *testing.T) *testKeys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, dk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := &testKeys{rsa: rk, ec: ek, ed: dk}
	k.rsaPEM = pkixPEM(t, &rk.PublicKey)
	k.rsaPath = writeFile(t, dir, "rsa.pem", k.rsaPEM)
	k.ecPath = writeFile(t, dir, "ec.pem", pkixPEM(t, &ek.PublicKey))
	k.edPath = writeFile(t, dir, "ed.pem", pkixPEM(t, dk.Public()))
	return k
}

func pkixPEM(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
