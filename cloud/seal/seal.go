// Package seal encrypts secrets at rest (cloud provider OAuth tokens) with AES-256-GCM under a key from
// configuration, and binds each sealed value to what it belongs to (associated data), so a sealed token copied
// into another user's row does not open there.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrOpen means a sealed value could not be opened: wrong key, other owner, or tampered bytes.
var ErrOpen = errors.New("sealed value cannot be opened")

// format is the first byte of every sealed value, so the layout can change later without guessing.
const format = 1

// Box seals and opens values with one key. Old keys may be kept for opening while values are re-sealed.
type Box struct {
	seal  cipher.AEAD
	keyID byte
	open  map[byte]cipher.AEAD
}

// New makes a box from base64 keys (32 bytes each): the first seals, every one opens.
func New(keys ...string) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: no key")
	}
	b := &Box{open: map[byte]cipher.AEAD{}}
	for i, k := range keys {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k))
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("seal: key %d must be 32 random bytes in base64 (openssl rand -base64 32)", i+1)
		}
		blk, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		aead, err := cipher.NewGCM(blk)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		// The key id is derived from the key, so values say which key sealed them without configuration order
		// mattering.
		sum := sha256.Sum256(raw)
		if _, dup := b.open[sum[0]]; dup {
			return nil, fmt.Errorf("seal: keys %d and another share an id; generate a new key", i+1)
		}
		b.open[sum[0]] = aead
		if i == 0 {
			b.seal, b.keyID = aead, sum[0]
		}
	}
	return b, nil
}

// NewKey returns a fresh random key in the form New takes.
func NewKey() (string, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	return base64.StdEncoding.EncodeToString(k), nil
}

// Seal encrypts plain, bound to owner (e.g. "token|42|OURA").
func (b *Box) Seal(plain []byte, owner string) ([]byte, error) {
	nonce := make([]byte, b.seal.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out := append([]byte{format, b.keyID}, nonce...)
	return b.seal.Seal(out, nonce, plain, []byte(owner)), nil
}

// Open decrypts a value sealed for owner.
func (b *Box) Open(sealed []byte, owner string) ([]byte, error) {
	if len(sealed) < 2 || sealed[0] != format {
		return nil, ErrOpen
	}
	aead, ok := b.open[sealed[1]]
	if !ok {
		return nil, ErrOpen
	}
	rest := sealed[2:]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], []byte(owner))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
