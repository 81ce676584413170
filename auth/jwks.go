package auth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
)

// maxJWKSBytes bounds a JWKS file: real sets hold a handful of keys, a few KB.
const maxJWKSBytes = 1 << 20

// jwk holds the JSON Web Key members we read (RFC 7517, RFC 7518 §6). Certificate members (x5c, x5u) and URLs
// are ignored: the file is the trust decision, as with PEM files.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	// RSA
	N string `json:"n"`
	E string `json:"e"`
	// EC and OKP
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	// Private members: their presence means the file holds a private key, which a verifier must not be given.
	D   string `json:"d"`
	P   string `json:"p"`
	K   string `json:"k"`
	Oth any    `json:"oth"`
}

// loadJWKSFile reads a JWK Set (RFC 7517 §5), the form identity providers publish. Each key answers to its
// `kid` and to its RFC 7638 thumbprint, so a provider's rotation (old and new key published side by side, tokens
// naming theirs by kid) works by updating the file. Keys meant for encryption (`use: enc`), of types we do not
// verify, or pinned by `alg` to an algorithm we do not accept are skipped; a file with no usable key, a private
// or symmetric key, or a malformed key is an error.
func loadJWKSFile(path string) ([]publicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read JWKS file: %w", err)
	}
	if len(data) > maxJWKSBytes {
		return nil, fmt.Errorf("%s: JWKS file larger than %d bytes", path, maxJWKSBytes)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&set); err != nil {
		return nil, fmt.Errorf("%s: not a JWK Set: %w", path, err)
	}
	if set.Keys == nil {
		return nil, fmt.Errorf("%s: not a JWK Set: no \"keys\" member", path)
	}
	var out []publicKey
	for i, raw := range set.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			return nil, fmt.Errorf("%s: key %d: %w", path, i+1, err)
		}
		if k.D != "" || k.P != "" || k.Oth != nil {
			return nil, fmt.Errorf("%s: key %d is a private key; configure the public keys only", path, i+1)
		}
		if k.Kty == "oct" || k.K != "" {
			return nil, fmt.Errorf("%s: key %d is a symmetric key; use HEALTHSYNC_JWT_SECRET for HS256", path, i+1)
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		pub, usable, err := k.publicKey()
		if err != nil {
			return nil, fmt.Errorf("%s: key %d: %w", path, i+1, err)
		}
		if !usable {
			continue
		}
		kind, err := checkPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("%s: key %d: %w", path, i+1, err)
		}
		if k.Alg != "" && k.Alg != kindAlg(kind) {
			continue
		}
		thumb, err := jwkThumbprint(pub)
		if err != nil {
			return nil, fmt.Errorf("%s: key %d: %w", path, i+1, err)
		}
		pk := publicKey{kind: kind, key: pub, kids: []string{thumb}}
		if k.Kid != "" && k.Kid != thumb {
			pk.kids = append(pk.kids, k.Kid)
		}
		out = append(out, pk)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no usable signature key (RSA, EC P-256 or Ed25519)", path)
	}
	return out, nil
}

// publicKey builds the key. usable is false for key types and curves we do not verify with.
func (k jwk) publicKey() (crypto.PublicKey, bool, error) {
	switch k.Kty {
	case "RSA":
		n, err := b64Int(k.N)
		if err != nil {
			return nil, false, fmt.Errorf("RSA modulus: %w", err)
		}
		e, err := b64Int(k.E)
		if err != nil {
			return nil, false, fmt.Errorf("RSA exponent: %w", err)
		}
		if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
			return nil, false, fmt.Errorf("RSA exponent out of range")
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, true, nil
	case "EC":
		if k.Crv != "P-256" {
			return nil, false, nil
		}
		x, err := b64Fixed(k.X, 32)
		if err != nil {
			return nil, false, fmt.Errorf("EC x: %w", err)
		}
		y, err := b64Fixed(k.Y, 32)
		if err != nil {
			return nil, false, fmt.Errorf("EC y: %w", err)
		}
		// The parser checks that the point is on the curve: an off-curve key is an invalid-curve attack vector.
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, false, fmt.Errorf("EC point: %w", err)
		}
		return pub, true, nil
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, false, nil
		}
		x, err := b64Fixed(k.X, ed25519.PublicKeySize)
		if err != nil {
			return nil, false, fmt.Errorf("Ed25519 x: %w", err)
		}
		return ed25519.PublicKey(x), true, nil
	case "":
		return nil, false, fmt.Errorf("missing kty")
	}
	return nil, false, nil
}

func b64Int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("not unpadded base64url")
	}
	return new(big.Int).SetBytes(b), nil
}

func b64Fixed(s string, size int) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not unpadded base64url")
	}
	if len(b) != size {
		return nil, fmt.Errorf("%d bytes, want %d", len(b), size)
	}
	return b, nil
}
