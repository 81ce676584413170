//go:build !unix

package pgembed

import (
	"context"
	"errors"
	"log/slog"
	"syscall"
)

type osUser struct{}

func serverOwner() (*osUser, error) {
	return nil, errors.New("pgembed: only supported on Unix-like systems; set DATABASE_URL instead")
}

func (*osUser) chown(string) error { return nil }

func ensureTraversable(string, *osUser, *slog.Logger) error { return nil }

func serverProcAttr(*osUser) *syscall.SysProcAttr { return nil }

func initdbProcAttr(*osUser) *syscall.SysProcAttr { return nil }

func clearStaleLock(context.Context, string, *slog.Logger) error { return nil }

func clearStaleSocketLock(string, int, string, *slog.Logger) error { return nil }
