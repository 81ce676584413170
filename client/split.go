package client

import (
	"fmt"
	"strconv"
)

// maxKeyLen is the server's limit on an idempotency key.
const maxKeyLen = 255

// part is one request of an upload, with the position of its first item of each kind in the whole Batch (keyed
// by the schema's ItemKind names) to put rejections back in the caller's numbering.
type part struct {
	batch  Batch
	offset map[string]int
}

// split cuts b into requests of at most max items, in order, kind after kind. Cursors all go into the last
// request (a cursor must not move past data still to be sent); deletions go first, so that an id deleted and
// re-sent in one upload ends deleted, as it would in a single request. A series record is never cut: one with
// more points than max travels alone (and the server answers BATCH_TOO_LARGE when it is over its own limit).
func split(b Batch, max int) ([]part, error) {
	if b.IdempotencyKey == "" {
		return nil, fmt.Errorf("the batch needs an idempotency key")
	}
	total := len(b.Samples) + len(b.CategorySamples) + len(b.Workouts) + len(b.Deletions) + len(b.Cursors)
	for _, s := range b.SeriesSamples {
		total += seriesCost(s)
	}
	if total <= max {
		return []part{{batch: b, offset: map[string]int{}}}, nil
	}

	var parts []part
	head := func() Batch { return Batch{Provider: b.Provider, Device: b.Device} }
	cur, n := head(), 0
	offset := map[string]int{}
	next := map[string]int{} // position in b of the next item of each kind
	flush := func() {
		parts = append(parts, part{batch: cur, offset: offset})
		cur, n = head(), 0
		offset = map[string]int{}
		for k, v := range next {
			offset[k] = v
		}
	}
	add := func(kind string, cost int, put func()) {
		if n > 0 && n+cost > max {
			flush()
		}
		put()
		n += cost
		next[kind]++
	}
	for _, d := range b.Deletions {
		add("DELETION", 1, func() { cur.Deletions = append(cur.Deletions, d) })
	}
	for _, s := range b.Samples {
		add("SAMPLE", 1, func() { cur.Samples = append(cur.Samples, s) })
	}
	for _, s := range b.SeriesSamples {
		add("SERIES_SAMPLE", seriesCost(s), func() { cur.SeriesSamples = append(cur.SeriesSamples, s) })
	}
	for _, s := range b.CategorySamples {
		add("CATEGORY_SAMPLE", 1, func() { cur.CategorySamples = append(cur.CategorySamples, s) })
	}
	for _, w := range b.Workouts {
		add("WORKOUT", 1, func() { cur.Workouts = append(cur.Workouts, w) })
	}
	if len(b.Cursors) > 0 && n > 0 && n+len(b.Cursors) > max {
		flush()
	}
	cur.Cursors = b.Cursors
	n += len(b.Cursors)
	if n > 0 {
		flush()
	}

	for i := range parts {
		key := b.IdempotencyKey + "/" + strconv.Itoa(i+1)
		if len(key) > maxKeyLen {
			return nil, fmt.Errorf("the idempotency key is too long to number the %d requests of a split upload: keep it under %d bytes",
				len(parts), maxKeyLen-len(strconv.Itoa(len(parts)))-1)
		}
		parts[i].batch.IdempotencyKey = key
	}
	return parts, nil
}

func seriesCost(s SeriesSample) int { return max(1, len(s.Points)) }
