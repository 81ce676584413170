// Package migrations holds the versioned, forward-only SQL schema. Files are named NNNN_name.sql and applied
// in order by db.Migrate; an applied file is never edited, a change is a new file.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
