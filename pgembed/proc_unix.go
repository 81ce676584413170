//go:build unix && !linux

package pgembed

import (
	"context"
	"log/slog"
	"syscall"
)

func serverProcAttr(owner *osUser) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: owner.credential(), Setpgid: true}
}

func initdbProcAttr(owner *osUser) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: owner.credential()}
}

// Without /proc we cannot tell a stale lock from a live one; PostgreSQL's own check decides.
func clearStaleLock(context.Context, string, *slog.Logger) error { return nil }

func clearStaleSocketLock(string, int, string, *slog.Logger) error { return nil }
