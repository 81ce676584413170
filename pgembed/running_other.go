//go:build !linux

package pgembed

// Running needs /proc to tell a live server from a stale lock; elsewhere it finds none, and Start reports a
// held cluster itself.
func Running(dataDir, dbname string) (dsn string, ok bool, err error) { return "", false, nil }
