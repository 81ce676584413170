package seal_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"

	"healthsync/cloud/seal"
)

func TestSealOpensOnlyForItsOwnerAndKey(t *testing.T) {
	k1, _ := seal.NewKey()
	k2, _ := seal.NewKey()
	box, err := seal.New(k1)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte(`{"access_token":"a","refresh_token":"r"}`)
	s, err := box.Seal(secret, "token|1|OURA")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s, []byte("refresh_token")) {
		t.Fatal("sealed value holds the plain text")
	}
	got, err := box.Open(s, "token|1|OURA")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := box.Open(s, "token|2|OURA"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("another owner opened it: %v", err)
	}
	tampered := append([]byte(nil), s...)
	tampered[len(tampered)-1] ^= 1
	if _, err := box.Open(tampered, "token|1|OURA"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("tampered value opened: %v", err)
	}
	other, _ := seal.New(k2)
	if _, err := other.Open(s, "token|1|OURA"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("another key opened it: %v", err)
	}
	// Rotation: a box whose sealing key is new still opens values of the old key.
	rotated, err := seal.New(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(s, "token|1|OURA"); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("rotated box: %q, %v", got, err)
	}
	s2, _ := box.Seal(secret, "token|1|OURA")
	if bytes.Equal(s, s2) {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	for _, k := range []string{"", "c2hvcnQ=", "not base64 at all!!"} {
		if _, err := seal.New(k); err == nil {
			t.Errorf("key %q accepted", k)
		}
	}
}

// Two fresh keys whose hashes share a first byte (1 in 256 draws) must both work: the one-byte id made
// such a rotation fail at random.
func TestKeysSharingAFirstHashByteBothWork(t *testing.T) {
	a, b := keysSharingFirstHashByte(t)
	box, err := seal.New(b, a)
	if err != nil {
		t.Fatalf("keys with a shared first hash byte refused: %v", err)
	}
	old, _ := seal.New(a)
	s, _ := old.Seal([]byte("x"), "o")
	if got, err := box.Open(s, "o"); err != nil || string(got) != "x" {
		t.Fatalf("rotated box: %q, %v", got, err)
	}
	if _, err := seal.New(a, a); err == nil {
		t.Fatal("the same key given twice was accepted")
	}
}

// Values sealed before the four-byte key id (format 1: one id byte) still open, also when another key
// shares that byte.
func TestShortIDValuesStillOpen(t *testing.T) {
	a, b := keysSharingFirstHashByte(t)
	raw, _ := base64.StdEncoding.DecodeString(a)
	sum := sha256.Sum256(raw)
	blk, _ := aes.NewCipher(raw)
	aead, _ := cipher.NewGCM(blk)
	nonce := make([]byte, aead.NonceSize())
	legacy := aead.Seal(append([]byte{1, sum[0]}, nonce...), nonce, []byte("old token"), []byte("token|1|OURA"))
	for _, keys := range [][]string{{a}, {b, a}} {
		box, err := seal.New(keys...)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := box.Open(legacy, "token|1|OURA"); err != nil || string(got) != "old token" {
			t.Fatalf("legacy value with %d keys: %q, %v", len(keys), got, err)
		}
		if _, err := box.Open(legacy, "token|2|OURA"); !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("legacy value opened for another owner: %v", err)
		}
	}
}

func keysSharingFirstHashByte(t *testing.T) (string, string) {
	t.Helper()
	seen := map[byte]string{}
	for i := 0; i < 100000; i++ {
		k, err := seal.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(k)
		sum := sha256.Sum256(raw)
		if prev, ok := seen[sum[0]]; ok {
			return prev, k
		}
		seen[sum[0]] = k
	}
	t.Fatal("no two keys shared a first hash byte")
	return "", ""
}
