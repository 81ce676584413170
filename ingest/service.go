package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"healthsync/catalog"
	"healthsync/db"
)

var (
	// ErrInvalidBatch is a whole-request problem; nothing was written.
	ErrInvalidBatch = errors.New("invalid batch")
	// ErrBatchTooLarge means the batch holds more items than the server takes in one request.
	ErrBatchTooLarge = errors.New("batch too large")
	// ErrKeyReused means the idempotency key was used before for a different payload.
	ErrKeyReused = errors.New("idempotency key reused with a different payload")
)

// Limits bound one batch.
type Limits struct {
	// MaxItems bounds samples + series points + category samples + workouts + deletions + cursors.
	MaxItems int
}

// Service runs the write path.
type Service struct {
	store  *db.Store
	cat    *catalog.Catalog
	limits Limits
	now    func() time.Time
	// observer, when set, hears of every batch; notify sends a SyncNotice from every batch's transaction.
	observer Observer
	notify   bool
}

// NewService wires the write path. now may be nil (time.Now).
func NewService(store *db.Store, cat *catalog.Catalog, limits Limits, now func() time.Time, opts ...Option) *Service {
	if limits.MaxItems <= 0 {
		limits.MaxItems = 20000
	}
	if now == nil {
		now = time.Now
	}
	s := &Service{store: store, cat: cat, limits: limits, now: now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Limits reports the limits in force.
func (s *Service) Limits() Limits { return s.limits }

// Ingest validates, normalizes and stores one batch for the user in one transaction, and returns the answer
// that is also stored under the batch's idempotency key.
func (s *Service) Ingest(ctx context.Context, userID int64, b Batch) (Result, error) {
	start := time.Now()
	res, err := s.ingest(ctx, userID, b)
	st := BatchStats{Items: batchItems(&b), Result: res, Err: err, Took: time.Since(start)}
	recordStats(ctx, st)
	if s.observer != nil {
		s.observer.ObserveBatch(ctx, st)
	}
	return res, err
}

func (s *Service) ingest(ctx context.Context, userID int64, b Batch) (Result, error) {
	if err := s.checkBatch(&b); err != nil {
		return Result{}, err
	}
	var metas []string
	hash, err := b.fingerprint(&metas)
	if err != nil {
		return Result{}, fmt.Errorf("%w: metadata cannot be encoded: %v", ErrInvalidBatch, err)
	}
	now := s.now().UTC()

	n := &normalizer{cat: s.cat, dialect: dialectOf(b.Provider), provider: b.Provider, now: now,
		zones: map[string]bool{}, sources: map[string]db.Source{}, metas: metas}
	if b.Device.TimeZone != nil && *b.Device.TimeZone != "" {
		if !n.validZone(*b.Device.TimeZone) {
			return Result{}, fmt.Errorf("%w: device.timeZone %q is not an IANA zone name such as Europe/Zurich", ErrInvalidBatch, clip(*b.Device.TimeZone))
		}
		n.deviceTZ = *b.Device.TimeZone
	}
	// Normalizing waits until the key is claimed: a replay (a client retrying a batch whose answer it lost)
	// is answered from the stored result without it. The plan is made once, whatever the retries.
	var p *plan
	planned := func() *plan {
		if p == nil {
			p = n.plan(&b)
		}
		return p
	}

	var res Result
	err = s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		res, err = s.write(ctx, tx, &b, hash, planned, n, now)
		if err == nil && b.Within != nil && !res.Replayed {
			err = b.Within(ctx, tx)
		}
		return err
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

func (s *Service) checkBatch(b *Batch) error {
	switch {
	case b.IdempotencyKey == "" || len(b.IdempotencyKey) > 255:
		return fmt.Errorf("%w: idempotencyKey must be 1 to 255 characters", ErrInvalidBatch)
	case b.Device.ID == "" || len(b.Device.ID) > maxIDLen:
		return fmt.Errorf("%w: device.id must be 1 to %d characters", ErrInvalidBatch, maxIDLen)
	}
	switch b.Provider {
	case AppleHealth, HealthConnect, Garmin, Oura, Whoop, OtherProvider:
	default:
		return fmt.Errorf("%w: unknown provider %q", ErrInvalidBatch, clip(string(b.Provider)))
	}
	for _, f := range []*string{&b.IdempotencyKey, &b.Device.ID, b.Device.Model, b.Device.OSVersion, b.Device.AppVersion, b.Device.TimeZone} {
		if f != nil && len(*f) > maxFieldLen {
			return fmt.Errorf("%w: a device field is longer than %d bytes", ErrInvalidBatch, maxFieldLen)
		}
		if f != nil && hasNUL(*f) {
			return fmt.Errorf("%w: the idempotency key or a device field contains a NUL character", ErrInvalidBatch)
		}
	}
	if items := batchItems(b); items > s.limits.MaxItems {
		return fmt.Errorf("%w: %d items (samples, series points, category samples, workouts, deletions and cursors together); at most %d per batch: split it", ErrBatchTooLarge, items, s.limits.MaxItems)
	}
	return nil
}

// plan is the validated content of a batch, ready to write.
type plan struct {
	records    []*record // winners: one per (table, id)
	duplicates int       // repeats inside the batch
	deletions  []string
	cursors    map[string]Cursor // by data type
}

// plan normalizes every item, collecting rejections, and keeps one record per id (the highest version, else the first).
func (n *normalizer) plan(b *Batch) *plan {
	p := &plan{cursors: map[string]Cursor{}}
	type recKey struct{ table, id string }
	winners := make(map[recKey]int, batchItems(b)) // → position in p.records
	lastKey := "\x00"
	add := func(r *record) {
		if r == nil {
			return
		}
		if r.source.Key != lastKey { // consecutive items mostly share their source
			if ref := db.SourceRef(r.source.Provider, r.source.Key); n.sources[ref].Name == "" {
				n.sources[ref] = r.source
			}
			lastKey = r.source.Key
		}
		key := recKey{r.table(), r.id}
		if at, ok := winners[key]; ok {
			p.duplicates++
			if r.version > p.records[at].version {
				p.records[at] = r
			}
			return
		}
		winners[key] = len(p.records)
		p.records = append(p.records, r)
	}
	for i, s := range b.Samples {
		add(n.quantitySample(i, s))
	}
	for i, s := range b.Series {
		add(n.seriesSample(i, s))
	}
	for i, s := range b.Categories {
		add(n.categorySample(i, s))
	}
	for i, w := range b.Workouts {
		add(n.workout(i, w))
	}
	seenDel := map[string]bool{}
	for i, d := range b.Deletions {
		id, pr := n.normalizeID(d)
		if pr != nil {
			n.reject(KindDeletion, i, d, pr.code, "%s", pr.msg)
			continue
		}
		if !seenDel[id] {
			seenDel[id] = true
			p.deletions = append(p.deletions, id)
		}
	}
	for i, c := range b.Cursors {
		dt, ok := n.dataType(c.Type)
		switch {
		case !ok:
			n.reject(KindCursor, i, c.Type, CodeUnknownType, "unknown data type %q for a cursor", clip(c.Type))
		case hasNUL(c.Cursor):
			n.reject(KindCursor, i, c.Type, CodeBadField, "cursor contains a NUL character")
		case len(c.Cursor) > maxCursorBytes:
			n.reject(KindCursor, i, c.Type, CodeBadField, "cursor is %d bytes; at most %d are allowed", len(c.Cursor), maxCursorBytes)
		case c.NewestSampleEnd != nil && c.NewestSampleEnd.After(n.now.Add(futureSlack)):
			n.reject(KindCursor, i, c.Type, CodeBadTime, "newestSampleEnd is in the future")
		default:
			p.cursors[dt] = c // a later cursor for the same type wins: it is the newer position
		}
	}
	return p
}

// dataType maps a cursor's type to the name sync state uses.
func (n *normalizer) dataType(typ string) (string, bool) {
	if m, ok := n.cat.Lookup(typ); ok {
		return m.Name, true
	}
	if c, ok := n.cat.LookupCategory(typ); ok {
		return c.Name, true
	}
	switch typ {
	case workoutType, "workouts", "HKWorkoutTypeIdentifier", "ExerciseSession", "ExerciseSessionRecord":
		return workoutType, true
	}
	return "", false
}

// write is the transaction body. It may run more than once (deadlock retry), so it derives everything afresh.
func (s *Service) write(ctx context.Context, tx *db.Tx, b *Batch, hash []byte, planned func() *plan, n *normalizer, now time.Time) (Result, error) {
	prior, err := tx.ClaimIdempotencyKey(ctx, b.IdempotencyKey, hash)
	if err != nil {
		return Result{}, err
	}
	if prior != nil {
		if !prior.SameRequest(hash) {
			return Result{}, ErrKeyReused
		}
		var res Result
		if err := json.Unmarshal(prior.Response, &res); err != nil {
			return Result{}, fmt.Errorf("decode stored answer: %w", err)
		}
		res.Replayed = true
		return res, nil
	}

	p := planned()
	if err := tx.UpsertDevice(ctx, db.Device{ID: b.Device.ID, Provider: string(b.Provider), Model: b.Device.Model,
		OSVersion: b.Device.OSVersion, AppVersion: b.Device.AppVersion, TimeZone: nonEmpty(n.deviceTZ),
		ContentIDs: b.ContentIDs}, now); err != nil {
		return Result{}, err
	}
	res := Result{Duplicates: p.duplicates, Rejected: append([]Rejection{}, n.rejected...)}
	// Every valid item's type counts as uploaded by the device, stored or not (a duplicate too).
	sync := map[string]*db.SyncUpdate{}
	touch := func(dt string) *db.SyncUpdate {
		u, ok := sync[dt]
		if !ok {
			u = &db.SyncUpdate{DataType: dt}
			sync[dt] = u
		}
		return u
	}
	ids := make([]string, 0, len(p.records))
	for _, r := range p.records {
		ids = append(ids, r.deletionID())
	}
	gone, err := tx.Tombstoned(ctx, ids)
	if err != nil {
		return Result{}, err
	}
	deleting := make(map[string]struct{}, len(p.deletions))
	for _, id := range p.deletions {
		deleting[id] = struct{}{}
	}

	var live []*record
	for _, r := range p.records {
		_, wasDeleted := gone[r.deletionID()]
		_, beingDeleted := deleting[r.deletionID()]
		if wasDeleted || beingDeleted { // a deleted id is never stored again
			res.Duplicates++
			touch(r.dataType)
			continue
		}
		live = append(live, r)
	}
	candidates := live
	if live, err = dropTwins(ctx, tx, b, live); err != nil {
		return Result{}, err
	}
	if len(live) < len(candidates) {
		res.Duplicates += len(candidates) - len(live) // stored already under the other channel's id
		for _, r := range candidates {
			touch(r.dataType)
		}
	}

	// Sources of the items that may be stored only; sources created now that end up with nothing stored (every
	// item of theirs a duplicate by id) are removed again below.
	srcs := make([]db.Source, 0, len(n.sources))
	seen := make(map[string]bool, len(n.sources))
	var last *db.Source
	for _, r := range live {
		if last != nil && r.source.Key == last.Key && r.source.Provider == last.Provider {
			continue // consecutive items mostly share their source
		}
		last = &r.source
		if ref := db.SourceRef(r.source.Provider, r.source.Key); !seen[ref] {
			seen[ref] = true
			srcs = append(srcs, n.sources[ref])
		}
	}
	srcIDs, created, err := tx.UpsertSourcesNoting(ctx, srcs, now)
	if err != nil {
		return Result{}, err
	}

	rowCount := 0
	for _, r := range live {
		rowCount += len(r.samples)
	}
	samples := make([]db.SampleRow, 0, rowCount)
	var cats []db.CategoryRow
	var works []db.WorkoutRow
	for _, r := range live {
		src := srcIDs[db.SourceRef(r.source.Provider, r.source.Key)]
		switch {
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
	sOut, err := tx.WriteSamples(ctx, b.Device.ID, samples)
	if err != nil {
		return Result{}, err
	}
	cOut, err := tx.WriteCategorySamples(ctx, b.Device.ID, cats)
	if err != nil {
		return Result{}, err
	}
	wOut, err := tx.WriteWorkouts(ctx, b.Device.ID, works)
	if err != nil {
		return Result{}, err
	}

	for _, r := range live {
		out := sOut
		switch {
		case r.category != nil:
			out = cOut
		case r.workout != nil:
			out = wOut
		}
		u := touch(r.dataType)
		inserted := out.WasInserted(r.id)
		_, replaced := out.Replaced[r.id]
		switch {
		case inserted && replaced:
			res.Updated++
		case inserted:
			res.Accepted++
		default:
			res.Duplicates++
			continue
		}
		if len(created) > 0 {
			delete(created, srcIDs[db.SourceRef(r.source.Provider, r.source.Key)])
		}
		u.NewItems++
		if u.NewestEnd == nil || r.end.After(*u.NewestEnd) {
			end := r.end.UTC()
			u.NewestEnd = &end
		}
	}
	if err := tx.DeleteSources(ctx, created); err != nil {
		return Result{}, err
	}
	removed, err := tx.DeleteItems(ctx, p.deletions)
	if err != nil {
		return Result{}, err
	}
	if err := s.deleteRecordParts(ctx, tx, b.Provider, p.deletions, removed); err != nil {
		return Result{}, err
	}
	res.Deleted = len(removed)

	for dt, c := range p.cursors {
		u := touch(dt)
		cur := c.Cursor
		u.Cursor = &cur
		if c.NewestSampleEnd != nil && (u.NewestEnd == nil || c.NewestSampleEnd.After(*u.NewestEnd)) {
			end := c.NewestSampleEnd.UTC()
			u.NewestEnd = &end
		}
	}
	updates := make([]db.SyncUpdate, 0, len(sync))
	for _, u := range sync {
		updates = append(updates, *u)
	}
	if err := tx.UpdateSyncState(ctx, b.Device.ID, updates, now); err != nil {
		return Result{}, err
	}

	answer, err := json.Marshal(res)
	if err != nil {
		return Result{}, fmt.Errorf("encode answer: %w", err)
	}
	if err := tx.SaveIdempotencyResponse(ctx, b.IdempotencyKey, answer); err != nil {
		return Result{}, err
	}
	if s.notify {
		types := make([]string, 0, len(sync))
		for dt := range sync {
			types = append(types, dt)
		}
		payload, err := encodeNotice(SyncNotice{UserID: tx.UserID(), DeviceID: b.Device.ID, Accepted: res.Accepted,
			Duplicates: res.Duplicates, Updated: res.Updated, Deleted: res.Deleted, DataTypes: types, At: now})
		if err != nil {
			return Result{}, fmt.Errorf("encode sync notice: %w", err)
		}
		if err := tx.Notify(ctx, SyncChannel, payload); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// dropTwins removes quantity samples, category samples and workouts that are already stored under another id.
// That happens only when a user's data arrives both with platform ids (the iOS app's HealthKit UUIDs) and with
// content ids (an export import, Health Auto Export), so the look-up runs only then: most users never pay for
// it. Series records have no twins: exports and Health Auto Export carry no Health Connect series.
func dropTwins(ctx context.Context, tx *db.Tx, b *Batch, live []*record) ([]*record, error) {
	mixed, err := tx.MixesIDKinds(ctx, string(b.Provider), b.ContentIDs)
	if err != nil || !mixed {
		return live, err
	}
	var samples []db.TwinProbe
	var cats []db.CategoryTwinProbe
	var works []db.WorkoutTwinProbe
	var sampleAt, catAt, workAt []int
	for i, r := range live {
		switch {
		case r.category != nil:
			c := r.category
			cats = append(cats, db.CategoryTwinProbe{ID: r.id, Category: c.Category, Value: c.Value, Start: c.Start,
				End: c.End, SourceName: r.source.Name})
			catAt = append(catAt, i)
		case r.workout != nil:
			w := r.workout
			works = append(works, db.WorkoutTwinProbe{ID: r.id, ActivityType: w.ActivityType, Start: w.Start, End: w.End,
				SourceName: r.source.Name})
			workAt = append(workAt, i)
		case r.kind == KindSample:
			row := r.samples[0]
			samples = append(samples, db.TwinProbe{ID: r.id, Metric: row.Metric, Start: row.Start, End: row.End,
				Value: row.Value, SourceName: r.source.Name})
			sampleAt = append(sampleAt, i)
		}
	}
	drop := map[int]bool{}
	for _, look := range []struct {
		find func() (map[int]bool, error)
		at   []int
	}{
		{func() (map[int]bool, error) { return tx.SampleTwins(ctx, samples) }, sampleAt},
		{func() (map[int]bool, error) { return tx.CategoryTwins(ctx, cats) }, catAt},
		{func() (map[int]bool, error) { return tx.WorkoutTwins(ctx, works) }, workAt},
	} {
		if len(look.at) == 0 {
			continue
		}
		twins, err := look.find()
		if err != nil {
			return live, err
		}
		for p := range twins {
			drop[look.at[p]] = true
		}
	}
	if len(drop) == 0 {
		return live, nil
	}
	kept := live[:0:0]
	for i, r := range live {
		if !drop[i] {
			kept = append(kept, r)
		}
	}
	return kept, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
