package cloudsync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"healthsync/catalog"
	"healthsync/cloud/providers"
	"healthsync/db"
	"healthsync/ingest"
)

// StoreResult sums what storing a set of records did.
type StoreResult struct {
	Records   int // records received
	Unchanged int // records stored before with the same content: nothing written
	Changed   int // new records and corrections
	Ingest    ingest.Result
	NewestEnd *time.Time
}

// storeRecords writes provider records through the ingest path in one transaction. Item ids are derived from
// the provider, the record id and the record's revision: the same content again is recognised before anything
// is written, and a correction gets a new revision whose items replace (delete) every item of the earlier one,
// including items the correction no longer has. Revisions only grow, so an id, once deleted, never comes back.
func (s *Service) storeRecords(ctx context.Context, userID int64, name ingest.Provider, recs []providers.Record) (StoreResult, error) {
	res := StoreResult{Records: len(recs)}
	if len(recs) == 0 {
		return res, nil
	}
	// The last copy of a record wins (a page may repeat one).
	byKey := map[[2]string]int{}
	var uniq []providers.Record
	for _, r := range recs {
		k := [2]string{r.DataType, r.ID}
		if i, ok := byKey[k]; ok {
			uniq[i] = r
			continue
		}
		byKey[k] = len(uniq)
		uniq = append(uniq, r)
	}
	// Batches stay well under the write path's item limit (a Garmin day of 15-second heart rate is 5,760
	// points; a push may carry many days): records are grouped, never split.
	limit := s.ing.Limits().MaxItems / 2
	for start := 0; start < len(uniq); {
		end, items := start, 0
		for end < len(uniq) && (end == start || items+recordItems(uniq[end]) <= limit) {
			items += recordItems(uniq[end])
			end++
		}
		var out StoreResult
		var err error
		for attempt := 0; ; attempt++ {
			out, err = s.storeOnce(ctx, userID, name, uniq[start:end])
			if errors.Is(err, db.ErrRecordMoved) && attempt < 3 {
				continue // another writer stored a revision meanwhile: build on it
			}
			break
		}
		if err != nil {
			return res, err
		}
		res.add(out)
		start = end
	}
	return res, nil
}

// add sums another store's outcome into r (Records excepted: the caller knows what it received).
func (r *StoreResult) add(o StoreResult) {
	r.Unchanged += o.Unchanged
	r.Changed += o.Changed
	r.Ingest.Accepted += o.Ingest.Accepted
	r.Ingest.Duplicates += o.Ingest.Duplicates
	r.Ingest.Deleted += o.Ingest.Deleted
	r.Ingest.Rejected = append(r.Ingest.Rejected, o.Ingest.Rejected...)
	if o.NewestEnd != nil && (r.NewestEnd == nil || o.NewestEnd.After(*r.NewestEnd)) {
		r.NewestEnd = o.NewestEnd
	}
}

// recordItems counts what a record costs against the batch limit (a series counts its points).
func recordItems(r providers.Record) int {
	n := len(r.Samples) + len(r.Categories) + len(r.Workouts) + 1
	for _, s := range r.Series {
		n += len(s.Points)
	}
	return 2 * n // a correction also deletes the earlier revision's items, about as many
}

type pending struct {
	rec     providers.Record
	hash    []byte
	prev    int
	rev     int
	itemIDs []string
}

func (s *Service) storeOnce(ctx context.Context, userID int64, name ingest.Provider, recs []providers.Record) (StoreResult, error) {
	var res StoreResult
	stored := map[string]map[string]db.ProviderRecord{}
	byType := map[string][]string{}
	for _, r := range recs {
		byType[r.DataType] = append(byType[r.DataType], r.ID)
	}
	if err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		for dt, ids := range byType {
			m, err := tx.ProviderRecords(ctx, string(name), dt, ids)
			if err != nil {
				return err
			}
			stored[dt] = m
		}
		return nil
	}); err != nil {
		return res, err
	}

	b := ingest.Batch{Provider: name, Device: ingest.Device{ID: DeviceID(name)}}
	var todo []pending
	keyHash := sha256.New()
	for _, r := range recs {
		h, err := contentHash(r)
		if err != nil {
			return res, err
		}
		old, had := stored[r.DataType][r.ID]
		if had && bytes.Equal(old.ContentHash, h) {
			res.Unchanged++
			continue
		}
		p := pending{rec: r, hash: h, prev: old.Revision, rev: old.Revision + 1}
		if had {
			b.Deletions = append(b.Deletions, old.ItemIDs...)
		}
		items := assignIDs(&b, name, r, p.rev)
		p.itemIDs = items.ids
		todo = append(todo, p)
		fmt.Fprintf(keyHash, "%s\x00%s\x00%d\x00%x\n", r.DataType, r.ID, p.rev, h)
		if items.newest != nil && (res.NewestEnd == nil || items.newest.After(*res.NewestEnd)) {
			res.NewestEnd = items.newest
		}
	}
	res.Changed = len(todo)
	if len(todo) == 0 {
		return res, nil
	}
	b.IdempotencyKey = "cloud:" + hex.EncodeToString(keyHash.Sum(nil))
	now := s.o.Now().UTC()
	out, err := s.ingestWith(ctx, userID, b, func(tx *db.Tx) error {
		for _, p := range todo {
			if err := tx.SaveProviderRecord(ctx, db.ProviderRecord{Provider: string(name), DataType: p.rec.DataType,
				RecordID: p.rec.ID, Revision: p.rev, ContentHash: p.hash, ItemIDs: p.itemIDs}, p.prev, now); err != nil {
				return err
			}
		}
		return s.writeTotals(ctx, tx, name, todo, now)
	})
	if err != nil {
		return res, err
	}
	res.Ingest = out
	if len(out.Rejected) > 0 {
		// Provider data that fails validation is an adapter bug or a provider glitch; the rest landed.
		first := out.Rejected[0]
		s.o.Logger.Warn("cloud provider items rejected", "provider", name, "rejected", len(out.Rejected),
			"first_code", first.Code, "first_message", first.Message)
	}
	return res, nil
}

// contentHash fingerprints what a record says (not its id), so a resend with the same content is recognised.
func contentHash(r providers.Record) ([]byte, error) {
	body := struct {
		S any `json:"s,omitempty"`
		P any `json:"p,omitempty"`
		C any `json:"c,omitempty"`
		W any `json:"w,omitempty"`
		T any `json:"t,omitempty"`
	}{r.Samples, r.Series, r.Categories, r.Workouts, r.Totals}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("fingerprint %s record %s: %w", r.DataType, r.ID, err)
	}
	sum := sha256.Sum256(raw)
	return sum[:16], nil
}

// itemPrefix starts the id of every item stored from the provider's records.
func itemPrefix(name ingest.Provider) string { return strings.ToLower(string(name)) + ":" }

// assigned are the ids assignIDs gave a record's items, and the latest end among them.
type assigned struct {
	ids    []string
	newest *time.Time
}

// assignIDs gives the record's items their ids and appends them to the batch.
func assignIDs(b *ingest.Batch, name ingest.Provider, r providers.Record, rev int) assigned {
	prefix := fmt.Sprintf("%s%s:%s:r%d:", itemPrefix(name), r.DataType, r.ID, rev)
	out := assigned{ids: []string{}} // a record of daily totals only, or an emptied one, has no items (the column is NOT NULL)
	b.Samples = numbered(&out, b.Samples, r.Samples, prefix+"s",
		func(it *ingest.QuantitySample, id string) time.Time { it.ID, it.Version = id, nil; return it.End })
	b.Series = numbered(&out, b.Series, r.Series, prefix+"p",
		func(it *ingest.SeriesSample, id string) time.Time { it.ID, it.Version = id, nil; return it.End })
	b.Categories = numbered(&out, b.Categories, r.Categories, prefix+"c",
		func(it *ingest.CategorySample, id string) time.Time { it.ID, it.Version = id, nil; return it.End })
	b.Workouts = numbered(&out, b.Workouts, r.Workouts, prefix+"w",
		func(it *ingest.Workout, id string) time.Time { it.ID, it.Version = id, nil; return it.End })
	return out
}

// numbered appends copies of items to dst, the i-th with the id prefix+i and no version (the revision in the
// prefix versions them); set gives an item its id and returns its end. The ids and the latest end go to out.
func numbered[T any](out *assigned, dst []T, items []T, prefix string, set func(it *T, id string) time.Time) []T {
	for i, it := range items {
		id := prefix + strconv.Itoa(i)
		end := set(&it, id)
		out.ids = append(out.ids, id)
		if out.newest == nil || end.After(*out.newest) {
			out.newest = &end
		}
		dst = append(dst, it)
	}
	return dst
}

// writeTotals stores the changed records' daily totals, converted to the metric's canonical unit, under the
// same source rows the items use. A total the catalog cannot take is logged and skipped, like a rejected item.
func (s *Service) writeTotals(ctx context.Context, tx *db.Tx, name ingest.Provider, todo []pending, now time.Time) error {
	type tot struct {
		t      providers.DailyTotal
		v      float64
		record string
		src    db.Source
	}
	var list []tot
	var srcs []db.Source
	for _, p := range todo {
		for _, t := range p.rec.Totals {
			m, ok := s.cat.Lookup(t.Metric)
			if !ok {
				s.o.Logger.Warn("daily total of an unknown metric skipped", "provider", name, "metric", t.Metric)
				continue
			}
			v, err := s.cat.Convert(m, t.Value, t.Unit, catalog.Canonical)
			if err != nil || v < 0 || v != v {
				s.o.Logger.Warn("daily total skipped", "provider", name, "metric", t.Metric, "unit", t.Unit)
				continue
			}
			src, err := ingest.SourceRow(name, t.Source)
			if err != nil {
				s.o.Logger.Warn("daily total with a bad source skipped", "provider", name, "err", err)
				continue
			}
			list = append(list, tot{t: t, v: v, record: p.rec.ID, src: src})
			srcs = append(srcs, src)
		}
	}
	if len(list) == 0 {
		return nil
	}
	sort.Slice(srcs, func(i, j int) bool { return srcs[i].Key < srcs[j].Key })
	ids, err := tx.UpsertSources(ctx, dedupeSources(srcs), now)
	if err != nil {
		return err
	}
	rows := make([]db.DailyTotal, 0, len(list))
	for _, t := range list {
		rows = append(rows, db.DailyTotal{Metric: t.t.Metric, Day: t.t.Day, SourceID: ids[db.SourceRef(t.src.Provider, t.src.Key)],
			Value: t.v, OrigValue: t.t.Value, OrigUnit: t.t.Unit, TimeZone: t.t.TimeZone, Provider: string(name),
			RecordID: t.record})
	}
	return tx.UpsertDailyTotals(ctx, rows, now)
}

func dedupeSources(in []db.Source) []db.Source {
	seen := map[string]bool{}
	var out []db.Source
	for _, s := range in {
		k := db.SourceRef(s.Provider, s.Key)
		if !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}

// deleteRecord removes every item a record had become (the provider deleted it), in one transaction. The
// record's row stays with its revision, so if the provider brings the record back it gets fresh item ids
// (the deleted ones are tombstoned for good).
func (s *Service) deleteRecord(ctx context.Context, userID int64, name ingest.Provider, dataType, recordID string) (int, error) {
	var ids []string
	var prev db.ProviderRecord
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		m, err := tx.ProviderRecords(ctx, string(name), dataType, []string{recordID})
		if err != nil {
			return err
		}
		prev = m[recordID]
		ids = prev.ItemIDs
		return nil
	})
	if err != nil || prev.Revision == 0 || len(prev.ContentHash) == 0 {
		return 0, err // unknown, or deleted already
	}
	now := s.o.Now().UTC()
	b := ingest.Batch{Provider: name, Device: ingest.Device{ID: DeviceID(name)}, Deletions: ids,
		IdempotencyKey: fmt.Sprintf("cloud-delete:%s:%s:%s:r%d", strings.ToLower(string(name)), dataType, recordID, prev.Revision)}
	out, err := s.ingestWith(ctx, userID, b, func(tx *db.Tx) error {
		if err := tx.SaveProviderRecord(ctx, db.ProviderRecord{Provider: string(name), DataType: dataType,
			RecordID: recordID, Revision: prev.Revision + 1, ContentHash: []byte{}, ItemIDs: []string{}}, prev.Revision, now); err != nil {
			return err
		}
		return tx.DeleteDailyTotals(ctx, string(name), recordID)
	})
	if err != nil {
		return 0, err
	}
	return out.Deleted, nil
}

// ingestWith stores the batch and the caller's bookkeeping (provider record versions, daily totals) in one
// transaction, so both commit or neither does. The bookkeeping is skipped on a replay: the run that stored the
// answer did it.
func (s *Service) ingestWith(ctx context.Context, userID int64, b ingest.Batch, keep func(tx *db.Tx) error) (ingest.Result, error) {
	start := time.Now()
	var out ingest.Result
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		if out, err = s.ing.IngestTx(ctx, tx, b); err != nil || out.Replayed {
			return err
		}
		return keep(tx)
	})
	if err != nil {
		out = ingest.Result{}
	}
	s.ing.Finish(ctx, b, out, err, time.Since(start))
	return out, err
}
