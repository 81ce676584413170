package seal_test

import (
	"bytes"
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
