package ingest

import "context"

// afterErasure drops the records that ended before the user's latest erasure began (its epoch): they were on
// the phone before the user erased everything, so a retried upload of an old batch (under its old idempotency
// key, whose stored answer the erasure removed, or under a new one) must not bring them back. Each counts as a
// duplicate, as an id deleted earlier does. Data recorded after the epoch is stored as usual.
func (w *batchWrite) afterErasure(ctx context.Context, live []*record) ([]*record, error) {
	epoch, err := w.tx.ErasedBefore(ctx)
	if err != nil || epoch == nil {
		return live, err
	}
	kept := live[:0:0]
	for _, r := range live {
		if r.end.Before(*epoch) {
			w.res.Duplicates++
			w.touch(r.dataType)
			continue
		}
		kept = append(kept, r)
	}
	return kept, nil
}
