package db

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"healthsync/migrations"
)

// migrationLockID serializes migrations when several servers start at once.
const migrationLockID = 7_311_640_118

// Migrate applies the pending embedded migrations, each in its own transaction, in version order.
// Migrations are forward-only: an applied version is never re-run or rolled back. On a database with the citus
// extension, the user tables are then distributed by user (see citus.go); on plain PostgreSQL that step is a no-op.
func Migrate(ctx context.Context, d *sqlx.DB, log *slog.Logger) (applied int, err error) {
	files, err := migrationFiles()
	if err != nil {
		return 0, err
	}
	conn, err := d.Connx(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID); err != nil {
		return 0, fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockID)

	// Only create the table when it is missing: even CREATE … IF NOT EXISTS needs CREATE on the schema, which a
	// server role that merely checks for pending migrations at start-up should not need.
	var present bool
	if err := conn.GetContext(ctx, &present, `SELECT to_regclass('schema_migrations') IS NOT NULL`); err != nil {
		return 0, fmt.Errorf("migrate: look for schema_migrations: %w", err)
	}
	if !present {
		if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    int PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return 0, fmt.Errorf("migrate: create schema_migrations: %w", err)
		}
	}
	var done []int
	if err := conn.SelectContext(ctx, &done, `SELECT version FROM schema_migrations`); err != nil {
		return 0, fmt.Errorf("migrate: read versions: %w", err)
	}
	have := map[int]bool{}
	for _, v := range done {
		have[v] = true
	}
	for _, f := range files {
		if have[f.version] {
			continue
		}
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return applied, fmt.Errorf("migrate: begin %s: %w", f.name, err)
		}
		if _, err := tx.ExecContext(ctx, f.sql); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migrate: apply %s: %w", f.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, f.version, f.name); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migrate: record %s: %w", f.name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("migrate: commit %s: %w", f.name, err)
		}
		if log != nil {
			log.Info("migration applied", "version", f.version, "name", f.name)
		}
		applied++
	}
	// After every migration, also when none was pending: a table a migration added on an earlier run that failed
	// here is distributed now.
	if err := distributeOnCitus(ctx, conn, log); err != nil {
		return applied, err
	}
	return applied, nil
}

type migrationFile struct {
	version int
	name    string
	sql     string
}

func migrationFiles() ([]migrationFile, error) {
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("migrate: list: %w", err)
	}
	var out []migrationFile
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migrate: %s: name must start with a version number and an underscore", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrate: %s and %s share version %d", other, name, v)
		}
		seen[v] = name
		b, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			return nil, fmt.Errorf("migrate: read %s: %w", name, err)
		}
		out = append(out, migrationFile{version: v, name: name, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}
