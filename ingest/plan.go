package ingest

import "healthsync/db"

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
				n.sources[ref] = *r.source
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
	n.planKinds(b, add)
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
	case stateOfMindType, ecgType, medicationDoseType, audiogramType:
		return typ, true
	case "HKDataTypeIdentifierAudiogram", "HKAudiogramSampleType":
		return audiogramType, true
	}
	return "", false
}
