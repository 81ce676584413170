package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// devtoolsIn lists the development tooling (benchmark, test helpers, fault tests) among pkg's dependencies,
// as the linker would see them: test files do not count.
func devtoolsIn(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	var found []string
	for _, dep := range strings.Fields(string(out)) {
		if dep == "healthsync/devtools" || strings.HasPrefix(dep, "healthsync/devtools/") {
			found = append(found, dep)
		}
	}
	return found
}

// TestServerBinaryLinksNoDevtools keeps the benchmark and the test helpers out of the production binary: they
// carry baselines, generators and naive SQL that have no business in a server.
func TestServerBinaryLinksNoDevtools(t *testing.T) {
	if found := devtoolsIn(t, "healthsync/cmd/healthsync"); len(found) > 0 {
		t.Errorf("the healthsync binary links development tooling: %s; keep it in cmd/healthsync-bench or in tests",
			strings.Join(found, ", "))
	}
	// The check must be able to fail: the benchmark's own command links the benchmark.
	if found := devtoolsIn(t, "healthsync/cmd/healthsync-bench"); !slices.Contains(found, "healthsync/devtools/bench") {
		t.Errorf("the check found no devtools/bench behind cmd/healthsync-bench (found %v): it cannot see a violation", found)
	}
}
