package main

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"testing"

	"github.com/jmoiron/sqlx"

	"healthsync/auth"
	"healthsync/config"
	"healthsync/devtools/dbtest"
	"healthsync/devtools/servertest"
	"healthsync/ingest"
	"healthsync/server"
)

// The template database stays empty: openStore's migrations are part of what these tests check.
func TestMain(m *testing.M) {
	dbtest.Main(m, func(context.Context, *sqlx.DB) error { return nil })
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestOpenStoreMigratesOnce(t *testing.T) {
	ctx := context.Background()
	cfg := config.Config{DatabaseURL: dbtest.NewDSN(t)}
	for i, wantApplied := range []bool{true, false} {
		st, err := openStore(ctx, cfg, quiet())
		if err != nil {
			t.Fatal(err)
		}
		if (st.applied > 0) != wantApplied {
			t.Errorf("open %d applied %d migrations", i+1, st.applied)
		}
		if _, err := st.EnsureUser(ctx, "alice"); err != nil {
			t.Errorf("open %d: the store does not work: %v", i+1, err)
		}
		st.close()
	}
}

// TestTestsWireWhatServeWires keeps devtools/servertest (the tests' and the in-process benchmark's wiring) in
// step with wire: a service serve builds and the tests do not (or the reverse) fails here.
func TestTestsWireWhatServeWires(t *testing.T) {
	st, err := openStore(context.Background(), config.Config{DatabaseURL: dbtest.NewDSN(t)}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.close)
	svc := ingest.NewService(st.Store, st.catalog, ingest.Limits{MaxItems: 10}, nil)
	served := wire(st, svc, quiet())
	tested := servertest.Wire(server.Options{Store: st.Store, Ingest: svc, Catalog: st.catalog, Log: quiet()})
	sv, tv := reflect.ValueOf(served), reflect.ValueOf(tested)
	wired := 0
	for i := range sv.NumField() {
		f := sv.Type().Field(i)
		if k := f.Type.Kind(); k != reflect.Pointer && k != reflect.Interface {
			continue
		}
		if sv.Field(i).IsNil() != tv.Field(i).IsNil() {
			t.Errorf("Options.%s: serve wires it: %v, devtools/servertest wires it: %v", f.Name, !sv.Field(i).IsNil(), !tv.Field(i).IsNil())
		}
		if !sv.Field(i).IsNil() {
			wired++
		}
	}
	if wired < 6 {
		t.Errorf("wire set %d services, want at least store, ingest, catalog, series, imports and HAE", wired)
	}
	// What wire returns is enough for server.New once serve adds the verifier.
	v, err := auth.NewVerifier(auth.Config{HMACSecret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	served.Verifier = v
	if server.New(served) == nil {
		t.Fatal("no handler")
	}
}
