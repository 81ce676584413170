package resolvers

import (
	"context"

	"healthsync/graph/model"
	"healthsync/ingest"
)

// syncEvents streams the token's user's committed batches until the client unsubscribes or disconnects.
func (r *Resolver) syncEvents(ctx context.Context) (<-chan *model.SyncEvent, error) {
	if r.Events == nil {
		return nil, &codedError{CodeUnavailable, "this server does not publish sync events"}
	}
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	in := r.Events.Subscribe(ctx, u.ID)
	out := make(chan *model.SyncEvent)
	go func() {
		defer close(out)
		for n := range in {
			select {
			case out <- toSyncEvent(n):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func toSyncEvent(n ingest.SyncNotice) *model.SyncEvent {
	types := n.DataTypes
	if types == nil {
		types = []string{}
	}
	return &model.SyncEvent{DeviceID: n.DeviceID, Accepted: n.Accepted, Duplicates: n.Duplicates, Updated: n.Updated,
		Deleted: n.Deleted, DataTypes: types, TypesOmitted: n.Truncated, At: n.At}
}
