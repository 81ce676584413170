package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"
)

// Signer mints HS256 tokens that a Verifier configured with the same secret,
// issuer and audience accepts. It exists for the `healthsync token` command
// and the development token printed at start; production tokens are expected
// from a real issuer.
type Signer struct {
	secret   []byte
	issuer   string
	audience string
}

// NewHMACSigner returns a Signer. The secret must be at least
// MinHMACSecretBytes long, the same bound the Verifier enforces.
func NewHMACSigner(secret []byte, issuer, audience string) (*Signer, error) {
	if len(secret) < MinHMACSecretBytes {
		return nil, fmt.Errorf("auth: HMAC secret has %d bytes, need at least %d", len(secret), MinHMACSecretBytes)
	}
	return &Signer{secret: slices.Clone(secret), issuer: issuer, audience: audience}, nil
}

// Sign returns a token for subject with scopes, valid for ttl from now. It
// refuses scopes the service does not know, for the same reason ParseScopes
// does.
func (s *Signer) Sign(subject string, scopes []Scope, ttl time.Duration) (string, error) {
	switch {
	case subject == "":
		return "", errors.New("auth: sign: empty subject")
	case len(subject) > MaxSubjectLength:
		return "", fmt.Errorf("auth: sign: subject longer than %d bytes", MaxSubjectLength)
	case strings.ContainsFunc(subject, unicode.IsControl):
		return "", errors.New("auth: sign: subject contains control characters")
	case ttl < time.Second:
		return "", fmt.Errorf("auth: sign: ttl must be at least 1s, got %s", ttl)
	}
	words := make([]string, 0, len(scopes))
	for _, sc := range scopes {
		if !knownScope(sc) {
			return "", fmt.Errorf("auth: sign: unknown scope %q", sc)
		}
		if !slices.Contains(words, string(sc)) {
			words = append(words, string(sc))
		}
	}
	now := time.Now().Unix()
	c := jwt.MapClaims{
		"sub": subject,
		"iat": now,
		"nbf": now,
		"exp": now + int64(ttl.Round(time.Second)/time.Second),
		"jti": rand.Text(),
	}
	if len(words) > 0 {
		// RFC 8693 §4.2: one space-separated string.
		c["scope"] = strings.Join(words, " ")
	}
	if s.issuer != "" {
		c["iss"] = s.issuer
	}
	if s.audience != "" {
		c["aud"] = s.audience
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	return tok, nil
}

// DevSecretFile is the file, inside the directory given to
// LoadOrCreateDevSecret, that holds the development HMAC secret.
const DevSecretFile = "jwt-dev-secret"

// LoadOrCreateDevSecret returns the hex secret stored in dir/jwt-dev-secret,
// creating it with 32 random bytes (mode 0600) the first time. created
// reports whether this call wrote it. Keeping the secret on disk means
// development tokens survive restarts.
func LoadOrCreateDevSecret(dir string) (secret []byte, created bool, err error) {
	path := filepath.Join(dir, DevSecretFile)
	secret, err = readDevSecret(path)
	if err == nil {
		return secret, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("auth: create secret directory: %w", err)
	}
	secret = make([]byte, MinHMACSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return nil, false, fmt.Errorf("auth: generate dev secret: %w", err)
	}
	// Write a temporary file and hard-link it into place: the link fails if
	// another process got there first, and readers never see a partial file.
	tmp, err := os.CreateTemp(dir, DevSecretFile+".*")
	if err != nil {
		return nil, false, fmt.Errorf("auth: write dev secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, false, fmt.Errorf("auth: write dev secret: %w", err)
	}
	if _, err := tmp.WriteString(hex.EncodeToString(secret) + "\n"); err != nil {
		tmp.Close()
		return nil, false, fmt.Errorf("auth: write dev secret: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, false, fmt.Errorf("auth: write dev secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, false, fmt.Errorf("auth: write dev secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			secret, err = readDevSecret(path)
			return secret, false, err
		}
		return nil, false, fmt.Errorf("auth: write dev secret: %w", err)
	}
	return secret, true, nil
}

func readDevSecret(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("auth: read dev secret: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("auth: read dev secret: %w", err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("auth: dev secret %s is accessible to other users (mode %04o); run chmod 600 on it", path, info.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, 4<<10))
	if err != nil {
		return nil, fmt.Errorf("auth: read dev secret: %w", err)
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("auth: dev secret %s is not hex", path)
	}
	if len(secret) < MinHMACSecretBytes {
		return nil, fmt.Errorf("auth: dev secret %s has %d bytes, need at least %d", path, len(secret), MinHMACSecretBytes)
	}
	return secret, nil
}
