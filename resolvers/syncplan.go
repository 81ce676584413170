package resolvers

import (
	"context"
	"errors"
	"strings"
	"time"

	"healthsync/graph/model"
	"healthsync/scalar"
	"healthsync/syncplan"
)

func (r *Resolver) syncPlan(ctx context.Context, deviceID string, types []string) (*model.SyncPlan, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	plan, err := r.SyncPlans.Plan(ctx, u.ID, deviceID, types)
	if err != nil {
		return nil, syncPlanError(err)
	}
	out := &model.SyncPlan{TimeZone: plan.TimeZone, Types: make([]model.TypePlan, len(plan.Types))}
	for i, t := range plan.Types {
		h := t.Holdings
		weeks := make([]scalar.Date, 0, len(h.Weeks))
		for _, w := range h.Weeks {
			var d scalar.Date
			if err := d.UnmarshalGQL(w); err != nil {
				return nil, err
			}
			weeks = append(weeks, d)
		}
		out.Types[i] = model.TypePlan{Type: t.Type, DataType: t.DataType, Count: h.Count, FirstSample: h.First,
			LastSample: h.Last, NewestSampleEnd: h.NewestEnd, Cursor: t.Cursor, CursorNewestSampleEnd: t.CursorNewestEnd,
			Weeks: weeks}
	}
	return out, nil
}

func (r *Resolver) uploadDigests(ctx context.Context, typ string, from, to time.Time, timeZone *string) ([]model.UploadDigest, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	zone := ""
	if timeZone != nil {
		zone = *timeZone
	}
	weeks, err := r.SyncPlans.Digests(ctx, u.ID, typ, from, to, zone)
	if err != nil {
		return nil, syncPlanError(err)
	}
	out := make([]model.UploadDigest, len(weeks))
	for i, w := range weeks {
		out[i] = model.UploadDigest{WeekStart: w.Start, WeekEnd: w.End, Count: int(w.Count), Digest: w.Digest}
	}
	return out, nil
}

func syncPlanError(err error) error {
	if errors.Is(err, syncplan.ErrInvalid) {
		return badInput(strings.TrimPrefix(err.Error(), syncplan.ErrInvalid.Error()+": "))
	}
	return err
}
