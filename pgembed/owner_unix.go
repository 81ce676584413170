//go:build unix

package pgembed

import (
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// osUser is the account the server runs as when we are root; nil means "as ourselves".
type osUser struct {
	name     string
	uid, gid uint32
}

// serverOwner returns the postgres OS user when we run as root, because initdb and postgres
// refuse to run as root.
func serverOwner() (*osUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgembed: running as root, and PostgreSQL refuses root, but there is no `postgres` OS user to run it as "+
			"(create one: useradd --system --home-dir /var/lib/postgresql postgres): %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgembed: uid of postgres user: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgembed: gid of postgres user: %w", err)
	}
	return &osUser{name: u.Username, uid: uint32(uid), gid: uint32(gid)}, nil
}

func (u *osUser) credential() *syscall.Credential {
	if u == nil {
		return nil
	}
	// Groups left empty: the server needs no supplementary groups, and root's must not leak in.
	return &syscall.Credential{Uid: u.uid, Gid: u.gid}
}

func (u *osUser) chown(path string) error {
	if u == nil {
		return nil
	}
	if err := os.Chown(path, int(u.uid), int(u.gid)); err != nil {
		return fmt.Errorf("pgembed: hand %s to the %s user: %w", path, u.name, err)
	}
	return nil
}

// ensureTraversable lets u search every folder from dir up to /, adding only the "others may
// search" bit where it is missing (names stay unlistable). Temp folders and /root are 0700,
// which would hide the data dir from the postgres user.
func ensureTraversable(dir string, u *osUser, logger *slog.Logger) error {
	if u == nil {
		return nil
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("pgembed: inspect %s: %w", dir, err)
		}
		if !canSearch(fi, u) {
			mode := fi.Mode().Perm() | 0o001
			if err := os.Chmod(dir, mode); err != nil {
				return fmt.Errorf("pgembed: let the %s user reach the data dir through %s: %w", u.name, dir, err)
			}
			logger.Info("made folder searchable so the postgres user can reach its files", "dir", dir, "mode", mode.String())
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

func canSearch(fi os.FileInfo, u *osUser) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	perm := fi.Mode().Perm()
	if !ok {
		return perm&0o001 != 0
	}
	switch {
	case st.Uid == u.uid:
		return perm&0o100 != 0
	case st.Gid == u.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
