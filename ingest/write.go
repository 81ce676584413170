package ingest

import (
	"context"
	"encoding/json"
	"fmt"

	"healthsync/db"
)

// write is the transaction body, in the order its steps run. It may run more than once (deadlock retry), so
// it derives everything afresh from the prepared batch.
func (s *Service) write(ctx context.Context, tx *db.Tx, pb *prepared) (Result, error) {
	prior, err := claim(ctx, tx, pb)
	if err != nil {
		return Result{}, err
	}
	if prior != nil {
		return *prior, nil
	}
	w := newBatchWrite(tx, pb)
	if err := w.device(ctx); err != nil {
		return Result{}, err
	}
	live, err := w.liveRecords(ctx)
	if err != nil {
		return Result{}, err
	}
	if live, err = w.afterErasure(ctx, live); err != nil {
		return Result{}, err
	}
	srcs, err := w.sources(ctx, live)
	if err != nil {
		return Result{}, err
	}
	outs, err := w.rows(ctx, live, srcs)
	if err != nil {
		return Result{}, err
	}
	w.tally(live, outs, srcs)
	if err := tx.DeleteSources(ctx, srcs.created); err != nil {
		return Result{}, err
	}
	if err := w.deletions(ctx); err != nil {
		return Result{}, err
	}
	if err := w.syncState(ctx); err != nil {
		return Result{}, err
	}
	if err := w.answer(ctx); err != nil {
		return Result{}, err
	}
	if s.outbox {
		if err := w.outbox(ctx, live, outs); err != nil {
			return Result{}, err
		}
	}
	if s.notify {
		if err := w.notice(ctx); err != nil {
			return Result{}, err
		}
	}
	return w.res, nil
}

// claim takes the batch's idempotency key. When the key was taken before by the same request it returns the
// stored answer (a replay); for a different request it fails with ErrKeyReused.
func claim(ctx context.Context, tx *db.Tx, pb *prepared) (*Result, error) {
	prior, err := tx.ClaimIdempotencyKey(ctx, pb.b.IdempotencyKey, pb.hash)
	if err != nil || prior == nil {
		return nil, err
	}
	if !prior.SameRequest(pb.hash) {
		return nil, ErrKeyReused
	}
	var res Result
	if err := json.Unmarshal(prior.Response, &res); err != nil {
		return nil, fmt.Errorf("decode stored answer: %w", err)
	}
	res.Replayed = true
	return &res, nil
}

// batchWrite is one run of the transaction body: the answer being counted and the sync state per data type.
type batchWrite struct {
	tx   *db.Tx
	b    *Batch
	n    *normalizer
	p    *plan
	res  Result
	sync map[string]*db.SyncUpdate
}

func newBatchWrite(tx *db.Tx, pb *prepared) *batchWrite {
	p := pb.plan()
	return &batchWrite{tx: tx, b: pb.b, n: pb.n, p: p, sync: map[string]*db.SyncUpdate{},
		res: Result{Duplicates: p.duplicates, Rejected: append([]Rejection{}, pb.n.rejected...)}}
}

// touch marks a data type as uploaded by the device. Every valid item's type counts, stored or not (a
// duplicate too).
func (w *batchWrite) touch(dt string) *db.SyncUpdate {
	u, ok := w.sync[dt]
	if !ok {
		u = &db.SyncUpdate{DataType: dt}
		w.sync[dt] = u
	}
	return u
}

func (w *batchWrite) device(ctx context.Context) error {
	b := w.b
	return w.tx.UpsertDevice(ctx, db.Device{ID: b.Device.ID, Provider: string(b.Provider), Model: b.Device.Model,
		OSVersion: b.Device.OSVersion, AppVersion: b.Device.AppVersion, TimeZone: nonEmpty(w.n.deviceTZ),
		ContentIDs: b.ContentIDs}, w.n.now)
}

// liveRecords drops the records that may not be stored: ids deleted before or in this batch (a deleted id is
// never stored again) and twins stored already under the other channel's id. Each counts as a duplicate.
func (w *batchWrite) liveRecords(ctx context.Context) ([]*record, error) {
	ids := make([]string, 0, len(w.p.records))
	for _, r := range w.p.records {
		ids = append(ids, r.deletionID())
	}
	gone, err := w.tx.Tombstoned(ctx, ids)
	if err != nil {
		return nil, err
	}
	deleting := make(map[string]struct{}, len(w.p.deletions))
	for _, id := range w.p.deletions {
		deleting[id] = struct{}{}
	}
	var live []*record
	for _, r := range w.p.records {
		_, wasDeleted := gone[r.deletionID()]
		_, beingDeleted := deleting[r.deletionID()]
		if wasDeleted || beingDeleted {
			w.res.Duplicates++
			w.touch(r.dataType)
			continue
		}
		live = append(live, r)
	}
	candidates := live
	if live, err = dropTwins(ctx, w.tx, w.b, live); err != nil {
		return nil, err
	}
	if len(live) < len(candidates) {
		w.res.Duplicates += len(candidates) - len(live)
		for _, r := range candidates {
			w.touch(r.dataType)
		}
	}
	return live, nil
}

// storedSources are the source rows of the live records: ids by db.SourceRef, and the ones created now.
type storedSources struct {
	ids     map[string]int64
	created map[int64]struct{}
	// byPtr remembers the id of each shared source copy records point at: keying every record's source again
	// allocated a string per record.
	byPtr map[*db.Source]int64
}

func (s storedSources) of(r *record) int64 {
	if id, ok := s.byPtr[r.source]; ok {
		return id
	}
	id := s.ids[db.SourceRef(r.source.Provider, r.source.Key)]
	s.byPtr[r.source] = id
	return id
}

// sources upserts the sources of the records that may be stored only; a source created now that ends up with
// nothing stored (each of its items a duplicate by id) is removed again after the tally.
func (w *batchWrite) sources(ctx context.Context, live []*record) (storedSources, error) {
	srcs := make([]db.Source, 0, len(w.n.sources))
	seen := make(map[string]bool, len(w.n.sources))
	var last *db.Source
	for _, r := range live {
		if last != nil && r.source.Key == last.Key && r.source.Provider == last.Provider {
			continue // consecutive items mostly share their source
		}
		last = r.source
		if ref := db.SourceRef(r.source.Provider, r.source.Key); !seen[ref] {
			seen[ref] = true
			srcs = append(srcs, w.n.sources[ref])
		}
	}
	ids, created, err := w.tx.UpsertSourcesNoting(ctx, srcs, w.n.now)
	return storedSources{ids: ids, created: created, byPtr: map[*db.Source]int64{}}, err
}

// outcomes says, per table, which records the row writes stored.
type outcomes struct {
	samples, cats, works db.WriteOutcome
	kinds                map[string]*db.WriteOutcome // by table
}

func (o *outcomes) of(r *record) *db.WriteOutcome {
	switch {
	case r.category != nil:
		return &o.cats
	case r.workout != nil:
		return &o.works
	case r.kindRow != nil:
		return o.kinds[r.kindRow.Table()]
	}
	return &o.samples
}

// rows writes the live records to their three tables.
func (w *batchWrite) rows(ctx context.Context, live []*record, srcs storedSources) (outcomes, error) {
	rowCount := 0
	for _, r := range live {
		rowCount += len(r.samples)
	}
	samples := make([]db.SampleRow, 0, rowCount)
	var cats []db.CategoryRow
	var works []db.WorkoutRow
	for _, r := range live {
		src := srcs.of(r)
		switch {
		case r.kindRow != nil: // written by kindRows
		case r.category != nil:
			row := *r.category
			row.SourceID = src
			cats = append(cats, row)
		case r.workout != nil:
			row := *r.workout
			row.SourceID = src
			works = append(works, row)
		default:
			for _, row := range r.samples {
				row.SourceID = src
				samples = append(samples, row)
			}
		}
	}
	var o outcomes
	var err error
	if o.samples, err = w.tx.WriteSamples(ctx, w.b.Device.ID, samples); err != nil {
		return o, err
	}
	if o.cats, err = w.tx.WriteCategorySamples(ctx, w.b.Device.ID, cats); err != nil {
		return o, err
	}
	if o.works, err = w.tx.WriteWorkouts(ctx, w.b.Device.ID, works); err != nil {
		return o, err
	}
	o.kinds, err = w.kindRows(ctx, live, srcs)
	return o, err
}

// kindRows writes the live State of Mind, ECG and medication dose records to their tables.
func (w *batchWrite) kindRows(ctx context.Context, live []*record, srcs storedSources) (map[string]*db.WriteOutcome, error) {
	var rows []db.KindRow
	for _, r := range live {
		if r.kindRow != nil {
			r.kindRow.Envelope().SourceID = srcs.of(r)
			rows = append(rows, r.kindRow)
		}
	}
	return w.tx.WriteKindRows(ctx, w.b.Device.ID, rows)
}

// tally counts each live record as accepted, updated or a duplicate, advances its type's sync state, and
// keeps every source that got a row out of srcs.created.
func (w *batchWrite) tally(live []*record, outs outcomes, srcs storedSources) {
	for _, r := range live {
		out := outs.of(r)
		u := w.touch(r.dataType)
		inserted := out.WasInserted(r.id)
		_, replaced := out.Replaced[r.id]
		switch {
		case inserted && replaced:
			w.res.Updated++
		case inserted:
			w.res.Accepted++
		default:
			w.res.Duplicates++
			continue
		}
		if len(srcs.created) > 0 {
			delete(srcs.created, srcs.of(r))
		}
		u.NewItems++
		if u.NewestEnd == nil || r.end.After(*u.NewestEnd) {
			end := r.end.UTC()
			u.NewestEnd = &end
		}
	}
}

func (w *batchWrite) deletions(ctx context.Context) error {
	removed, err := w.tx.DeleteItems(ctx, w.p.deletions)
	if err != nil {
		return err
	}
	if err := deleteRecordParts(ctx, w.tx, w.n.cat, w.b.Provider, w.p.deletions, removed); err != nil {
		return err
	}
	if err := w.tx.DeleteKindItems(ctx, w.p.deletions, removed); err != nil {
		return err
	}
	w.res.Deleted = len(removed)
	return nil
}

// syncState stores the device's cursors and what each touched data type brought.
func (w *batchWrite) syncState(ctx context.Context) error {
	for dt, c := range w.p.cursors {
		u := w.touch(dt)
		cur := c.Cursor
		u.Cursor = &cur
		if c.NewestSampleEnd != nil && (u.NewestEnd == nil || c.NewestSampleEnd.After(*u.NewestEnd)) {
			end := c.NewestSampleEnd.UTC()
			u.NewestEnd = &end
		}
	}
	updates := make([]db.SyncUpdate, 0, len(w.sync))
	for _, u := range w.sync {
		updates = append(updates, *u)
	}
	return w.tx.UpdateSyncState(ctx, w.b.Device.ID, updates, w.n.now)
}

// answer stores the result under the idempotency key, for replays.
func (w *batchWrite) answer(ctx context.Context) error {
	answer, err := json.Marshal(w.res)
	if err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	return w.tx.SaveIdempotencyResponse(ctx, w.b.IdempotencyKey, answer)
}

// notice sends the batch's SyncNotice from inside the transaction: PostgreSQL delivers it at commit only.
func (w *batchWrite) notice(ctx context.Context) error {
	types := make([]string, 0, len(w.sync))
	for dt := range w.sync {
		types = append(types, dt)
	}
	payload, err := encodeNotice(SyncNotice{UserID: w.tx.UserID(), DeviceID: w.b.Device.ID, Accepted: w.res.Accepted,
		Duplicates: w.res.Duplicates, Updated: w.res.Updated, Deleted: w.res.Deleted, DataTypes: types, At: w.n.now})
	if err != nil {
		return fmt.Errorf("encode sync notice: %w", err)
	}
	return w.tx.Notify(ctx, SyncChannel, payload)
}
