package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"healthsync/db"
	"healthsync/devtools/dbtest"
)

func TestMain(m *testing.M) {
	dbtest.Main(m, func(ctx context.Context, d *sqlx.DB) error {
		_, err := db.Migrate(ctx, d, nil)
		return err
	})
}

// buildBinary compiles healthsync into a fresh folder of the test: the outside client runs it as `serve`.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "healthsync")
	cmd := exec.Command("go", "build", "-o", bin, "healthsync/cmd/healthsync")
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(runtime.GOROOT(), "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// The outside client end to end, small: every pass against the real server (and PostGraphile when its
// node_modules are installed) stores each sample exactly once: the replay and the duplicates add no row, the
// warm-up user's rows stay apart, and the server-side COPY copies exactly the uploaded rows.
func TestOutsideClientStoresEverySampleOnce(t *testing.T) {
	dbtest.SkipOnCitus(t, "the server-side COPY baseline writes files in one server's data directory")
	o := DefaultOptions()
	o.Samples, o.Users, o.BatchSize, o.Concurrency, o.WarmupBatches = 1200, 2, 200, 2, 1
	o.ServerBin = buildBinary(t)
	o.DatabaseURL = dbtest.NewDSN(t)
	o.PostGraphileDir = "postgraphile"
	o.TempDir = t.TempDir()
	withPGL := postGraphileMissing(o) == ""
	if withPGL {
		o.PostGraphileURL = dbtest.NewDSN(t)
	} else {
		t.Logf("PostGraphile part skipped: %s", postGraphileMissing(o))
		o.PostGraphileDir = ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	rep, err := Run(ctx, o, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if rep.Samples != 1200 || rep.Batches != 6 {
		t.Fatalf("%d samples in %d batches, want 1200 in 6", rep.Samples, rep.Batches)
	}
	copied := true
	for _, n := range rep.Notes {
		if strings.Contains(n, "server-side COPY") {
			copied = false // a database without file access: a note, as DATABASE_URL may give
		}
	}
	check := func(name string, s *Side, passes ...string) {
		t.Helper()
		if s == nil {
			t.Fatalf("%s: no figures", name)
		}
		if s.Stored != 1200 || s.WarmupStored != 200 {
			t.Errorf("%s stored %d rows of the uploaded users and %d of the warm-up user, want 1200 and 200", name, s.Stored, s.WarmupStored)
		}
		if copied {
			passes = append(passes, "server_copy")
		}
		for _, pass := range passes {
			p, ok := s.Phases[pass]
			want := 1200
			if pass == "warmup" {
				want = 200
			}
			if !ok || p.Samples != want || p.PerSecond <= 0 {
				t.Errorf("%s %s: %+v, want %d samples at a positive rate", name, pass, p, want)
			}
		}
	}
	check("healthsync", &rep.Healthsync, "warmup", "upload", "replay", "duplicates")
	if withPGL {
		check("PostGraphile", rep.PostGraphile, "warmup", "upload", "duplicates")
	}
	for _, k := range []string{"replay_vs_upload", "duplicates_vs_upload"} {
		if rep.Ratios[k] <= 0 {
			t.Errorf("ratio %s missing: %v", k, rep.Ratios)
		}
	}
}

func TestPGEnvReadsBothDSNForms(t *testing.T) {
	env, err := pgEnv(`host='/tmp/a b' port=5433 user=postgres dbname=x sslmode=disable`)
	if err != nil {
		t.Fatal(err)
	}
	want := "PGHOST=/tmp/a b|PGPORT=5433|PGUSER=postgres|PGDATABASE=x|PGSSLMODE=disable"
	if got := strings.Join(env, "|"); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	env, _ = pgEnv("postgres://u@localhost/db")
	if len(env) != 1 || env[0] != "PGL_DATABASE_URL=postgres://u@localhost/db" {
		t.Errorf("URL: %v", env)
	}
}
