//go:build !linux

package dbtest

import "os"

func baseDir() string { return os.TempDir() }

func sweepLeftovers(string) {}
