package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewVerifierRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPriv := newTestKeys(t).ed
	privDER, err := x509.MarshalPKCS8PrivateKey(edPriv)
	if err != nil {
		t.Fatal(err)
	}
	good := newTestKeys(t)

	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no key at all", Config{Issuer: testIssuer}, "no verification key"},
		{"short HMAC secret", Config{HMACSecret: []byte("password")}, "need at least 32"},
		{"31-byte HMAC secret", Config{HMACSecret: testSecret()[:31]}, "need at least 32"},
		{"RSA 1024", Config{PublicKeyFiles: []string{writeFile(t, dir, "small.pem", pkixPEM(t, &small.PublicKey))}}, "1024 bits"},
		{"P-384", Config{PublicKeyFiles: []string{writeFile(t, dir, "p384.pem", pkixPEM(t, &p384.PublicKey))}}, "P-384"},
		{"private key", Config{PublicKeyFiles: []string{writeFile(t, dir, "priv.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))}}, "public key only"},
		{"bad key after good one", Config{PublicKeyFiles: []string{writeFile(t, dir, "mixed.pem", append(pkixPEM(t, &good.rsa.PublicKey), pkixPEM(t, &small.PublicKey)...))}}, "key 2"},
		{"not PEM", Config{PublicKeyFiles: []string{writeFile(t, dir, "junk.pem", []byte("hello"))}}, "no PEM block"},
		{"unknown block", Config{PublicKeyFiles: []string{writeFile(t, dir, "csr.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{1}}))}}, "unsupported PEM block"},
		{"corrupt block", Config{PublicKeyFiles: []string{writeFile(t, dir, "corrupt.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}))}}, "parse PUBLIC KEY"},
		{"missing file", Config{PublicKeyFiles: []string{filepath.Join(dir, "absent.pem")}}, "no such file"},
		{"negative leeway", Config{HMACSecret: testSecret(), Leeway: -time.Second}, "negative leeway"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVerifier(tc.cfg)
			if err == nil {
				t.Fatalf("NewVerifier accepted the config (algorithms %q)", v.Algorithms())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestNewVerifierAcceptsPEMForms(t *testing.T) {
	k := newTestKeys(t)
	dir := t.TempDir()
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})
	cert := selfSignedCert(t, k.ec)
	// Leading text is common in files produced by `openssl x509 -text`.
	withText := append([]byte("Certificate:\n    Data: ...\n"), cert...)

	tests := []struct {
		name  string
		file  string
		token string
	}{
		{"RSA PUBLIC KEY block", writeFile(t, dir, "pkcs1.pem", pkcs1), forge(t, hdr("RS256", "kid", "pkcs1"), validClaims(), rs256(t, k.rsa))},
		{"CERTIFICATE block", writeFile(t, dir, "cert.crt", withText), forge(t, hdr("ES256", "kid", "cert"), validClaims(), es256(t, k.ec))},
		{"Ed25519 PUBLIC KEY", k.edPath, forge(t, hdr("EdDSA", "kid", "ed"), validClaims(), eddsa(k.ed))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVerifier(t, Config{PublicKeyFiles: []string{tc.file}, Issuer: testIssuer, Audience: testAudience})
			p, err := v.Verify(tc.token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Subject != "alice" {
				t.Errorf("subject = %q", p.Subject)
			}
		})
	}
}

func selfSignedCert(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "issuer.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestJWKThumbprint(t *testing.T) {
	// RFC 7638 §3.1.
	n, err := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	if err != nil {
		t.Fatal(err)
	}
	// RFC 8037 appendix A.3.
	x, err := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		key  crypto.PublicKey
		want string
	}{
		{"RFC 7638 RSA", &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"},
		{"RFC 8037 Ed25519", ed25519.PublicKey(x), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"},
		{"P-256", &ec.PublicKey, ecThumbprintByHand(ec)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jwkThumbprint(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("thumbprint = %s, want %s", got, tc.want)
			}
		})
	}
}

// ecThumbprintByHand uses the marshalled DER point rather than Bytes, so the
// P-256 case does not repeat the code under test.
func ecThumbprintByHand(k *ecdsa.PrivateKey) string {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		panic(err)
	}
	point := der[len(der)-64:] // a P-256 SPKI ends with the 64-byte X||Y
	js := fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}`,
		base64.RawURLEncoding.EncodeToString(point[:32]), base64.RawURLEncoding.EncodeToString(point[32:]))
	sum := sha256.Sum256([]byte(js))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
