package rights

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"healthsync/fhir"
	"healthsync/webhooks"
	"io"
	"time"

	"healthsync/db"
)

// Export formats.
const (
	FormatNDJSONZip  = "NDJSON_ZIP"
	FormatFHIRNDJSON = "FHIR_NDJSON"
)

// ExportSchemaVersion is written in every export's manifest; it changes when a file's fields change meaning.
const ExportSchemaVersion = 1

// fetchRows is how many rows one cursor fetch of an export reads.
const fetchRows = 2000

var (
	// ErrNotReady is a download of an export that has not finished.
	ErrNotReady = errors.New("the export is not ready")
	// ErrExpired is a download of an export past its retention (its file is gone).
	ErrExpired = errors.New("the export has expired and its file was deleted; request a new export")
	// ErrPending is a request for an export while one of another format is still queued or running.
	ErrPending = errors.New("an export is already queued or running")
)

// RequestExport queues an export of everything the server holds for the user. A user has at most one open
// (QUEUED or RUNNING) export: asking again for the same format returns the open one; another format while it
// runs is ErrPending.
func (s *Service) RequestExport(ctx context.Context, userID int64, format string) (db.Export, error) {
	switch format {
	case FormatNDJSONZip:
	case FormatFHIRNDJSON:
		if s.o.FHIR == nil {
			return db.Export{}, fmt.Errorf("%w: the FHIR_NDJSON format is not offered by this server; ask for NDJSON_ZIP", ErrInvalid)
		}
	default:
		return db.Export{}, fmt.Errorf("%w: unknown export format %q", ErrInvalid, format)
	}
	var e db.Export
	var created bool
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		e, created, err = tx.CreateExport(ctx, format, s.o.Now().UTC())
		return err
	})
	if err == nil && !created && e.Format != format {
		return db.Export{}, fmt.Errorf("%w: export %d (%s) is %s; ask again once dataExport reports it DONE",
			ErrPending, e.ID, e.Format, e.Status)
	}
	return e, err
}

// Export is one of the user's exports, or nil. A finished export past its retention reads EXPIRED even before
// the background loop purged it.
func (s *Service) Export(ctx context.Context, userID, id int64) (*db.Export, error) {
	var e *db.Export
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		e, err = tx.Export(ctx, id)
		return err
	})
	if e != nil && e.Status == db.ExportDone && e.FinishedAt != nil && !s.o.Now().Before(e.FinishedAt.Add(s.o.ExportTTL)) {
		e.Status = db.ExportExpired
	}
	return e, err
}

// ExpiresAt is when a finished export expires, or nil for one that has not finished.
func (s *Service) ExpiresAt(e db.Export) *time.Time {
	if (e.Status != db.ExportDone && e.Status != db.ExportExpired) || e.FinishedAt == nil {
		return nil
	}
	t := e.FinishedAt.Add(s.o.ExportTTL).UTC()
	return &t
}

// WriteExport streams a finished export's zip to w one stored piece at a time (memory holds one piece). It
// calls header with the export before the first byte, so an HTTP handler can set its headers.
func (s *Service) WriteExport(ctx context.Context, userID, id int64, header func(db.Export), w io.Writer) error {
	e, err := s.Export(ctx, userID, id)
	if err != nil {
		return err
	}
	if e == nil {
		return ErrNotFound
	}
	if e.Status == db.ExportExpired {
		return ErrExpired
	}
	if e.Status != db.ExportDone {
		return fmt.Errorf("%w: it is %s", ErrNotReady, e.Status)
	}
	header(*e)
	for seq := 0; ; seq++ {
		var piece []byte
		if err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
			var err error
			piece, err = tx.ExportChunk(ctx, id, seq)
			return err
		}); err != nil {
			return err
		}
		if piece == nil {
			return nil
		}
		if _, err := w.Write(piece); err != nil {
			return fmt.Errorf("send export: %w", err)
		}
	}
}

// ExpireExports marks the exports that finished more than the retention ago EXPIRED and deletes their zips, and
// says how many. Each export is expired in its user's transaction (the pieces are visible to their user only);
// any number of processes may run it at once.
func (s *Service) ExpireExports(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		cutoff := s.o.Now().UTC().Add(-s.o.ExportTTL)
		var refs []db.ExportRef
		if err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
			var err error
			refs, err = tx.ExportsFinishedBefore(ctx, cutoff, 100)
			return err
		}); err != nil || len(refs) == 0 {
			return n, err
		}
		for _, r := range refs {
			did := false
			if err := s.store.InUserTx(ctx, r.UserID, func(tx *db.Tx) error {
				var err error
				did, err = tx.ExpireExport(ctx, r.ID, cutoff, s.o.Now().UTC())
				return err
			}); err != nil {
				return n, err
			}
			if did {
				n++
			}
		}
		if len(refs) < 100 {
			return n, nil
		}
	}
	return n, ctx.Err()
}

// RunDueExports claims and writes queued exports until none is left, and says how many it wrote.
func (s *Service) RunDueExports(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		var e *db.Export
		if err := s.store.InSystemTx(ctx, func(tx *db.SysTx) error {
			var err error
			e, err = tx.ClaimExport(ctx, s.o.Now().UTC(), s.o.Lease)
			return err
		}); err != nil || e == nil {
			return n, err
		}
		counts, err := s.writeExport(ctx, *e)
		status, reason := db.ExportDone, (*string)(nil)
		if err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err() // shutting down: the lease runs out and another run starts it again
			}
			s.o.Log.WarnContext(ctx, "export failed", "export", e.ID, "err", err)
			msg := "the export could not be written; request a new one"
			status, reason = db.ExportFailed, &msg
		}
		if err := s.store.InUserTx(ctx, e.UserID, func(tx *db.Tx) error {
			if err := tx.FinishExport(ctx, e.ID, status, counts, s.o.Now().UTC(), reason); err != nil {
				return err
			}
			if status != db.ExportDone {
				return nil
			}
			// In the transaction that marks it DONE, so a receiver never hears of an export that is not there.
			return webhooks.Enqueue(ctx, tx, s.o.Now().UTC(), webhooks.Event{Type: webhooks.ExportReady,
				Data: map[string]any{"exportId": e.ID, "format": e.Format, "rows": counts}})
		}); err != nil {
			return n, err
		}
		n++
	}
	return n, ctx.Err()
}

// manifest is the export's manifest.json.
type manifest struct {
	SchemaVersion int              `json:"schemaVersion"`
	Format        string           `json:"format"`
	ExportID      int64            `json:"exportId"`
	ExportedAt    time.Time        `json:"exportedAt"`
	Files         []string         `json:"files"`
	Counts        map[string]int64 `json:"counts"`
}

// writeExport writes the zip from scratch (a run taken up after a crash starts over): one NDJSON file per kind,
// rows streamed from a cursor into the zip and the zip into stored pieces, then the manifest.
func (s *Service) writeExport(ctx context.Context, e db.Export) (map[string]int64, error) {
	counts := map[string]int64{}
	cw := &chunkWriter{ctx: ctx, s: s, e: e, max: s.o.ExportChunk}
	err := s.store.InUserTx(ctx, e.UserID, func(tx *db.Tx) error {
		total, err := tx.CountExportRows(ctx)
		if err != nil {
			return err
		}
		// Progress and the reset of an earlier run's pieces go through their own transactions: the one open
		// here is busy with the cursors.
		if err := s.store.InUserTx(ctx, e.UserID, func(w *db.Tx) error {
			return w.StartExport(ctx, e.ID, total, s.o.Now().UTC())
		}); err != nil {
			return err
		}
		zw := zip.NewWriter(cw)
		m := manifest{SchemaVersion: ExportSchemaVersion, Format: e.Format, ExportID: e.ID, ExportedAt: s.o.Now().UTC(), Counts: counts}
		for _, kind := range db.ExportKinds {
			f, err := zw.Create(kind + ".ndjson")
			if err != nil {
				return fmt.Errorf("zip %s: %w", kind, err)
			}
			n, err := tx.ExportRows(ctx, kind, fetchRows, func(line []byte) error {
				cw.rows++
				if _, err := f.Write(line); err != nil {
					return err
				}
				_, err := f.Write([]byte{'\n'})
				return err
			})
			if err != nil {
				return err
			}
			counts[kind] = n
			m.Files = append(m.Files, kind+".ndjson")
		}
		if e.Format == FormatFHIRNDJSON {
			if err := s.writeFHIR(ctx, zw, e.UserID, &m); err != nil {
				return err
			}
		}
		f, err := zw.Create("manifest.json")
		if err != nil {
			return fmt.Errorf("zip manifest: %w", err)
		}
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		if err := enc.Encode(m); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("close zip: %w", err)
		}
		return cw.flush()
	})
	return counts, err
}

// chunkWriter stores what the zip writer writes as pieces of at most max bytes, each with the progress so far.
type chunkWriter struct {
	ctx  context.Context
	s    *Service
	e    db.Export
	max  int
	buf  []byte
	seq  int
	rows int64
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		take := min(c.max-len(c.buf), len(p))
		c.buf = append(c.buf, p[:take]...)
		p = p[take:]
		if len(c.buf) == c.max {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	now := c.s.o.Now().UTC()
	if err := c.s.store.InUserTx(c.ctx, c.e.UserID, func(tx *db.Tx) error {
		return tx.PutExportChunk(c.ctx, c.e.ID, c.seq, c.buf, c.rows, now, now.Add(c.s.o.Lease))
	}); err != nil {
		return err
	}
	c.seq++
	c.buf = c.buf[:0]
	return nil
}

// writeFHIR adds the user's Observations as Observation.ndjson, one resource a line, beside the raw tables.
func (s *Service) writeFHIR(ctx context.Context, zw *zip.Writer, userID int64, m *manifest) error {
	subject, err := s.store.UserSubject(ctx, userID)
	if err != nil {
		return err
	}
	f, err := zw.Create(fhirFile)
	if err != nil {
		return fmt.Errorf("zip %s: %w", fhirFile, err)
	}
	n, err := fhir.WriteNDJSON(ctx, f, s.o.FHIR.All(ctx, userID, subject, fhir.Search{}))
	if err != nil {
		return fmt.Errorf("write %s: %w", fhirFile, err)
	}
	m.Counts["Observation"] = int64(n)
	m.Files = append(m.Files, fhirFile)
	return nil
}

const fhirFile = "Observation.ndjson"
