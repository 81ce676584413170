package pgembed

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// debianBinGlob is where Debian and Ubuntu install each major version's server binaries; they
// are not on PATH by default.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

// findBinDir picks the folder holding postgres and initdb.
func findBinDir(override string) (string, error) {
	if override != "" {
		if !hasServerBinaries(override) {
			return "", fmt.Errorf("%w (looked in BinDir %s)", ErrNoBinaries, override)
		}
		return filepath.Abs(override)
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		// Resolve symlinks: a /usr/local/bin/postgres link says nothing about where initdb
		// and the rest of the installation live.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			if dir := filepath.Dir(real); hasServerBinaries(dir) {
				return filepath.Abs(dir)
			}
		}
	}
	dirs, _ := filepath.Glob(debianBinGlob)
	// Newest major version first: "9.6" < "15" < "17".
	slices.SortFunc(dirs, func(a, b string) int {
		return compareVersions(filepath.Base(filepath.Dir(b)), filepath.Base(filepath.Dir(a)))
	})
	for _, dir := range dirs {
		if hasServerBinaries(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w (looked for postgres on PATH and in %s)", ErrNoBinaries, debianBinGlob)
}

func hasServerBinaries(dir string) bool {
	return isExecutable(filepath.Join(dir, "postgres")) && isExecutable(filepath.Join(dir, "initdb"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// compareVersions orders dotted version strings numerically; non-numeric parts sort first.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}
