package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestMissingServerBinarySaysHowToBuildIt(t *testing.T) {
	env := func(k string) string {
		if k == "HEALTHSYNC_DATA_DIR" {
			return t.TempDir()
		}
		return ""
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"--server", t.TempDir() + "/no-such-healthsync", "--growth", "none"}, env, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "make build") || !strings.Contains(err.Error(), "--in-process") {
		t.Fatalf("err = %v, want it to say how to get a server binary", err)
	}
	if err := run(context.Background(), []string{"--users", "0"}, env, &out, &errOut); err == nil {
		t.Fatal("bad flags accepted")
	}
}
