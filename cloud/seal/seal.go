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

// The first byte of every sealed value names its layout, so the layout can change without guessing.
// formatShortID (values sealed before 2026-12-05) names the key by one byte of its hash: two random keys
// share it once in 256 draws, which made rotation to a fresh key fail at random. formatLongID names it by
// four bytes; short-id values still open, by trying every key whose hash starts with that byte.
const (
	formatShortID = 1
	formatLongID  = 2
	longIDLen     = 4
)

// Box seals and opens values with one key. Old keys may be kept for opening while values are re-sealed.
type Box struct {
	seal  cipher.AEAD
	keyID [longIDLen]byte
	open  map[[longIDLen]byte]cipher.AEAD
	short map[byte][]cipher.AEAD
}

// New makes a box from base64 keys (32 bytes each): the first seals, every one opens.
func New(keys ...string) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: no key")
	}
	b := &Box{open: map[[longIDLen]byte]cipher.AEAD{}, short: map[byte][]cipher.AEAD{}}
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
		id := [longIDLen]byte(sum[:longIDLen])
		if _, dup := b.open[id]; dup {
			return nil, fmt.Errorf("seal: key %d is given twice (or shares its id with another); remove the copy", i+1)
		}
		b.open[id] = aead
		b.short[sum[0]] = append(b.short[sum[0]], aead)
		if i == 0 {
			b.seal, b.keyID = aead, id
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
	out := append(append([]byte{formatLongID}, b.keyID[:]...), nonce...)
	return b.seal.Seal(out, nonce, plain, []byte(owner)), nil
}

// Open decrypts a value sealed for owner.
func (b *Box) Open(sealed []byte, owner string) ([]byte, error) {
	if len(sealed) < 1 {
		return nil, ErrOpen
	}
	switch sealed[0] {
	case formatLongID:
		if len(sealed) < 1+longIDLen {
			return nil, ErrOpen
		}
		aead, ok := b.open[[longIDLen]byte(sealed[1:1+longIDLen])]
		if !ok {
			return nil, ErrOpen
		}
		return openWith(aead, sealed[1+longIDLen:], owner)
	case formatShortID:
		if len(sealed) < 2 {
			return nil, ErrOpen
		}
		for _, aead := range b.short[sealed[1]] {
			if plain, err := openWith(aead, sealed[2:], owner); err == nil {
				return plain, nil
			}
		}
	}
	return nil, ErrOpen
}

func openWith(aead cipher.AEAD, rest []byte, owner string) ([]byte, error) {
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], []byte(owner))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
