package resolvers

import (
	"context"
	"time"

	"healthsync/cycle"
	"healthsync/graph/model"
	"healthsync/scalar"
)

func (r *Resolver) cyclePeriods(ctx context.Context, from, to scalar.Date, timeZone *string) ([]model.MenstrualPeriod, error) {
	u, err := r.user(ctx)
	if err != nil {
		return nil, err
	}
	req := cycle.Request{From: from.In(time.UTC), To: to.In(time.UTC)}
	if timeZone != nil {
		req.TimeZone = *timeZone
	}
	periods, err := r.Cycle.Periods(ctx, u.ID, req)
	if err != nil {
		return nil, err
	}
	out := make([]model.MenstrualPeriod, len(periods))
	for i, p := range periods {
		days := make([]model.FlowDay, len(p.Days))
		for j, d := range p.Days {
			days[j] = model.FlowDay{Date: scalar.DateOf(d.Date), Flow: d.Flow}
		}
		out[i] = model.MenstrualPeriod{Start: scalar.DateOf(p.Start), End: scalar.DateOf(p.End), Days: days}
	}
	return out, nil
}
