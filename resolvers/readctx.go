package resolvers

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"healthsync/db"
	"healthsync/series"
)

// location resolves a read's time zone: the one asked for, else the user's most recent device's, else UTC.
func (r *Resolver) location(ctx context.Context, tx *db.Tx, asked *string) (*time.Location, error) {
	name := ""
	if asked != nil {
		name = *asked
	}
	return r.Series.Location(ctx, tx, name)
}

// orderedSources loads the user's sources in priority order for metric (” = the all-metrics order).
func orderedSources(ctx context.Context, tx *db.Tx, metric string) ([]db.Source, error) {
	return series.OrderedSources(ctx, tx, metric)
}

// parseSourceIDs turns GraphQL ids into source ids; a malformed id is the client's error.
func parseSourceIDs(ids []string) ([]int64, error) {
	out := make([]int64, 0, len(ids))
	for _, s := range ids {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, badInput(fmt.Sprintf("%q is not a source id (the sources query lists them)", s))
		}
		out = append(out, id)
	}
	return out, nil
}

func checkRange(from, to time.Time) error {
	if !to.After(from) {
		return badInput("`to` must be after `from`")
	}
	return nil
}
