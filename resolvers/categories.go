package resolvers

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"healthsync/categories"
	"healthsync/graph/model"
)

// CodeUnknownType means the category type named is not in the catalog.
const CodeUnknownType = "UNKNOWN_TYPE"

func (r *Resolver) categorySamples(ctx context.Context, typ string, from, to time.Time, limit *int) (*model.CategorySamples, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	n := 1000
	if limit != nil {
		n = *limit
	}
	got, err := r.Categories.Samples(ctx, u.ID, typ, from, to, n)
	if errors.Is(err, categories.ErrUnknownType) {
		return nil, &codedError{CodeUnknownType, strings.TrimPrefix(err.Error(), categories.ErrUnknownType.Error()+": ")}
	}
	if err != nil {
		return nil, err
	}
	out := &model.CategorySamples{Type: got.Category.Name, DisplayName: got.Category.DisplayName(),
		Values: nonNil(got.Category.Values), Samples: make([]model.CategorySample, len(got.Samples))}
	for i, s := range got.Samples {
		c := model.CategorySample{ID: s.ID, Value: s.Value, OriginalValue: s.OrigValue, Start: s.Start, End: s.End,
			Source: s.SourceName, UserEntered: s.UserEntered}
		if s.TimeZone != "" {
			c.TimeZone = &s.TimeZone
		}
		if s.Metadata != "" {
			if err := json.Unmarshal([]byte(s.Metadata), &c.Metadata); err != nil {
				return nil, err
			}
		}
		out.Samples[i] = c
	}
	return out, nil
}
