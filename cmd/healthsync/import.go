package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"healthsync/config"
	"healthsync/importers/appleexport"
	"healthsync/ingest"
	"healthsync/pgembed"
)

const importUsage = "usage: healthsync import apple-export --user SUBJECT [--batch N] PATH   (PATH: export.zip or export.xml)"

// importCommand runs `healthsync import apple-export --user alice PATH`: the export goes through the same write
// path as uploads, so a repeated import stores nothing new.
func importCommand(ctx context.Context, cfg config.Config, args []string, log *slog.Logger, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "apple-export" {
		return errors.New(importUsage)
	}
	fs := flag.NewFlagSet("import apple-export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	user := fs.String("user", "", "the user (token subject) the data belongs to; required")
	batch := fs.Int("batch", appleexport.DefaultBatchSize, "items per ingest batch")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *user == "" || fs.NArg() != 1 {
		return errors.New(importUsage)
	}
	export, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("open export: %w", err)
	}
	defer export.Close()
	st, err := export.Stat()
	if err != nil {
		return fmt.Errorf("open export: %w", err)
	}

	// Beside `make run`, whose server holds the private PostgreSQL: connect to that one instead of starting another.
	if cfg.DatabaseURL == "" {
		if dsn, ok, err := pgembed.Running(cfg.PostgresDir(), "healthsync"); err != nil {
			return err
		} else if ok {
			log.Info("using the PostgreSQL of the running server", "dir", cfg.PostgresDir())
			cfg.DatabaseURL = dsn
		}
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.close()
	svc := ingest.NewService(store.Store, store.catalog, ingest.Limits{MaxItems: cfg.MaxBatchItems}, nil)
	u, err := store.EnsureUser(ctx, *user)
	if err != nil {
		return err
	}
	imp := appleexport.NewImporter(svc, store.catalog, appleexport.Options{BatchSize: *batch})

	bar := newProgressBar(stderr)
	log.Info("importing an Apple Health export", "file", export.Name(), "bytes", st.Size(), "user", *user)
	// The same path as the import jobs: export.xml, and the ECG recordings beside it in an export.zip.
	sum, err := imp.ImportFile(ctx, u.ID, export, st.Size(), bar.update)
	bar.done()
	writeImportSummary(stdout, sum)
	if err != nil {
		return fmt.Errorf("import stopped after %d records: %w", sum.Records, err)
	}
	return nil
}

// progressBar redraws one line on a terminal; elsewhere (a log file, a pipe) it stays silent and the summary says it all.
type progressBar struct {
	w    io.Writer
	on   bool
	last time.Time
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	on := false
	if ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			on = true
		}
	}
	return &progressBar{w: w, on: on}
}

func (p *progressBar) update(s appleexport.Summary) {
	if !p.on || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r%s", progressLine(s))
}

func (p *progressBar) done() {
	if p.on && !p.last.IsZero() {
		fmt.Fprintln(p.w)
	}
}

// progressLine is "[#####.....]  42.0%  1,234,567 records  55,000 records/s".
func progressLine(s appleexport.Summary) string {
	const width = 30
	frac := 0.0
	if s.BytesTotal > 0 {
		frac = min(1, float64(s.BytesDone)/float64(s.BytesTotal))
	}
	n := int(frac * width)
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Records) / s.Elapsed.Seconds()
	}
	return fmt.Sprintf("[%s%s] %5.1f%%  %s records  %s records/s  ", strings.Repeat("#", n), strings.Repeat(".", width-n),
		frac*100, thousands(s.Records), thousands(int64(rate)))
}

func writeImportSummary(w io.Writer, s appleexport.Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(k string, v int64) { fmt.Fprintf(tw, "%s\t%s\t\n", k, thousands(v)) }
	row("records read", s.Records)
	row("accepted (new)", s.Accepted)
	row("already stored", s.Duplicates)
	row("updated", s.Updated)
	row("rejected", s.Rejected)
	row("unknown types", s.Unknown)
	row("other elements skipped", s.Skipped)
	row("batches", int64(s.Batches))
	row("bytes read", s.BytesDone)
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Records) / s.Elapsed.Seconds()
	}
	fmt.Fprintf(tw, "time\t%s\t\n", s.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(tw, "records/s\t%s\t\n", thousands(int64(rate)))
	tw.Flush()
	for _, part := range []struct {
		title string
		m     map[string]int64
	}{{"rejected by code", s.RejectedByCode}, {"unknown types", s.UnknownTypes}, {"skipped elements", s.SkippedElements}} {
		if len(part.m) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", part.title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		keys := make([]string, 0, len(part.m))
		for k := range part.m {
			keys = append(keys, k)
		}
		// The largest first: that is what the reader wants to see.
		slices.SortFunc(keys, func(a, b string) int {
			if c := cmp.Compare(part.m[b], part.m[a]); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			fmt.Fprintf(tw, "  %s\t%s\n", k, thousands(part.m[k]))
		}
		tw.Flush()
	}
	if len(s.FirstRejections) > 0 {
		fmt.Fprintln(w, "\nfirst rejections:")
		for _, r := range s.FirstRejections {
			fmt.Fprintf(w, "  %s %s: %s\n", r.Kind, r.Code, r.Message)
		}
	}
}

// thousands prints 1234567 as 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
