package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// keyKind is the family of a verification key. Each JWS algorithm we accept
// belongs to exactly one kind, which is what stops algorithm confusion: a
// token's alg selects the kind first, and only keys of that kind are tried.
type keyKind int

const (
	kindHMAC keyKind = iota + 1
	kindRSA
	kindEC
	kindEd25519
)

func (k keyKind) String() string {
	switch k {
	case kindHMAC:
		return "HMAC"
	case kindRSA:
		return "RSA"
	case kindEC:
		return "EC P-256"
	case kindEd25519:
		return "Ed25519"
	}
	return "unknown"
}

// algKind pins each accepted `alg` to its key kind (RFC 8725 §3.1). Anything
// else, including "none", is refused before any key is looked at.
func algKind(alg string) (keyKind, bool) {
	switch alg {
	case "HS256":
		return kindHMAC, true
	case "RS256":
		return kindRSA, true
	case "ES256":
		return kindEC, true
	case "EdDSA":
		return kindEd25519, true
	}
	return 0, false
}

// kindAlg is the inverse of algKind.
func kindAlg(k keyKind) string {
	switch k {
	case kindHMAC:
		return "HS256"
	case kindRSA:
		return "RS256"
	case kindEC:
		return "ES256"
	case kindEd25519:
		return "EdDSA"
	}
	return ""
}

const minRSABits = 2048

// publicKey is one configured verification key and the names it answers to.
type publicKey struct {
	kind keyKind
	key  crypto.PublicKey
	kids []string
}

// loadPublicKeyFile reads every PEM block in path. The keys all answer to the
// file's base name without extension; when the file holds several, key n
// (counting from 1) also answers to "name#n"; every key also answers to its
// RFC 7638 JWK thumbprint.
func loadPublicKeyFile(path string) ([]publicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read public key file: %w", err)
	}
	var keys []crypto.PublicKey
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		k, err := parsePEMBlock(block)
		if err != nil {
			return nil, fmt.Errorf("%s: block %d: %w", path, len(keys)+1, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no PEM block found", path)
	}

	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	out := make([]publicKey, 0, len(keys))
	for i, k := range keys {
		kind, err := checkPublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("%s: key %d: %w", path, i+1, err)
		}
		thumb, err := jwkThumbprint(k)
		if err != nil {
			return nil, fmt.Errorf("%s: key %d: %w", path, i+1, err)
		}
		pk := publicKey{kind: kind, key: k, kids: []string{thumb}}
		if name != "" {
			pk.kids = append(pk.kids, name)
			if len(keys) > 1 {
				pk.kids = append(pk.kids, name+"#"+strconv.Itoa(i+1))
			}
		}
		out = append(out, pk)
	}
	return out, nil
}

func parsePEMBlock(b *pem.Block) (crypto.PublicKey, error) {
	switch b.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PUBLIC KEY: %w", err)
		}
		return k, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse RSA PUBLIC KEY: %w", err)
		}
		return k, nil
	case "CERTIFICATE":
		// Only the key is used; the certificate's validity period and chain
		// are not checked, since the file itself is the trust decision.
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse CERTIFICATE: %w", err)
		}
		return c.PublicKey, nil
	}
	if strings.Contains(b.Type, "PRIVATE KEY") {
		return nil, fmt.Errorf("holds a %s; configure the public key only", b.Type)
	}
	return nil, fmt.Errorf("unsupported PEM block %q", b.Type)
}

func checkPublicKey(k crypto.PublicKey) (keyKind, error) {
	switch k := k.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return 0, fmt.Errorf("RSA key has %d bits, need at least %d", bits, minRSABits)
		}
		return kindRSA, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return 0, fmt.Errorf("EC key on curve %s; only P-256 (ES256) is accepted", k.Curve.Params().Name)
		}
		return kindEC, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return 0, fmt.Errorf("Ed25519 key has %d bytes", len(k))
		}
		return kindEd25519, nil
	}
	return 0, fmt.Errorf("unsupported key type %T", k)
}

// jwkThumbprint computes the RFC 7638 SHA-256 thumbprint: the hash of the
// key's required JWK members, in lexical order, without whitespace.
func jwkThumbprint(k crypto.PublicKey) (string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	var canonical string
	switch k := k.(type) {
	case *rsa.PublicKey:
		e := big.NewInt(int64(k.E)).Bytes()
		canonical = fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`, b64(e), b64(k.N.Bytes()))
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("thumbprint: unsupported curve")
		}
		point, err := k.Bytes()
		if err != nil {
			return "", fmt.Errorf("thumbprint: %w", err)
		}
		// Uncompressed SEC 1 point: 0x04 || X || Y, coordinates fixed-width.
		size := (len(point) - 1) / 2
		x, y := point[1:1+size], point[1+size:]
		canonical = fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}`, b64(x), b64(y))
	case ed25519.PublicKey:
		canonical = fmt.Sprintf(`{"crv":"Ed25519","kty":"OKP","x":"%s"}`, b64(k))
	default:
		return "", fmt.Errorf("thumbprint: unsupported key type %T", k)
	}
	sum := sha256.Sum256([]byte(canonical))
	return b64(sum[:]), nil
}
