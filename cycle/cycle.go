// Package cycle assembles menstrual periods from the flow days stored as menstrual_flow category samples.
package cycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"healthsync/db"
)

// MaxRange bounds one read: a few years of periods are a few dozen.
const MaxRange = 3 * 366 * 24 * time.Hour

// maxGapDays is how many days without flow a period may contain: a day with no entry between two flow days
// (a forgotten log) does not split it.
const maxGapDays = 1

// ErrInvalid is a request the caller must fix; the message after it says how.
var ErrInvalid = errors.New("invalid cycle request")

// flowRank orders the flow values: a day's flow is its heaviest entry. "none" days are not flow days.
var flowRank = map[string]int{"unspecified": 1, "light": 2, "medium": 3, "heavy": 4}

// Day is one local calendar day with flow.
type Day struct {
	Date time.Time // local midnight, in UTC fields (year, month, day only matter)
	Flow string    // the heaviest canonical flow value logged that day
}

// Period is a run of flow days.
type Period struct {
	Start, End time.Time // first and last flow day (dates)
	Days       []Day
}

// Flow is one stored flow sample as the assembly needs it.
type Flow struct {
	Value string
	Start time.Time
	Zone  *time.Location // the sample's own zone, else the read's
}

// Periods groups flow samples into periods by the local day each starts on: consecutive flow days, with gaps
// of at most one day. Samples valued "none" (or unknown) end nothing and start nothing.
func Periods(flows []Flow) []Period {
	byDate := map[time.Time]string{}
	for _, f := range flows {
		rank, ok := flowRank[f.Value]
		if !ok {
			continue
		}
		y, m, d := f.Start.In(f.Zone).Date()
		date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if prev, seen := byDate[date]; !seen || flowRank[prev] < rank {
			byDate[date] = f.Value
		}
	}
	dates := make([]time.Time, 0, len(byDate))
	for d := range byDate {
		dates = append(dates, d)
	}
	slices.SortFunc(dates, func(a, b time.Time) int { return a.Compare(b) })
	var out []Period
	for _, d := range dates {
		day := Day{Date: d, Flow: byDate[d]}
		if n := len(out); n > 0 && d.Sub(out[n-1].End) <= time.Duration(maxGapDays+1)*24*time.Hour {
			out[n-1].End = d
			out[n-1].Days = append(out[n-1].Days, day)
			continue
		}
		out = append(out, Period{Start: d, End: d, Days: []Day{day}})
	}
	return out
}

// Zones resolves a read's time zone and loads the zones samples name; series.Service is one.
type Zones interface {
	Location(ctx context.Context, tx *db.Tx, asked string) (*time.Location, error)
	LoadZone(name string) (*time.Location, error)
}

// Service reads periods back from the stored flow samples.
type Service struct {
	store *db.Store
	zones Zones
}

// NewService wires the cycle reads.
func NewService(store *db.Store, zones Zones) *Service {
	return &Service{store: store, zones: zones}
}

// Request is one read: the periods that overlap the local dates [From, To] (inclusive).
type Request struct {
	From, To time.Time // dates (year, month, day)
	TimeZone string    // "" = the user's latest device zone, else UTC
}

// Periods reads the user's periods overlapping [From, To] in its own user transaction. A period that runs
// over an end of the range is returned whole (flow days up to 31 days beyond it are read).
func (s *Service) Periods(ctx context.Context, userID int64, req Request) ([]Period, error) {
	if req.To.Before(req.From) {
		return nil, fmt.Errorf("%w: `to` must not be before `from`", ErrInvalid)
	}
	if req.To.Sub(req.From) > MaxRange {
		return nil, fmt.Errorf("%w: a cycle read may span at most three years; split the range", ErrInvalid)
	}
	var out []Period
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		loc, err := s.zones.Location(ctx, tx, req.TimeZone)
		if err != nil {
			return err
		}
		const margin = 31 * 24 * time.Hour
		from := time.Date(req.From.Year(), req.From.Month(), req.From.Day(), 0, 0, 0, 0, loc)
		to := time.Date(req.To.Year(), req.To.Month(), req.To.Day()+1, 0, 0, 0, 0, loc)
		rows, err := tx.FlowSamples(ctx, from.Add(-margin), to.Add(margin))
		if err != nil {
			return err
		}
		flows := make([]Flow, len(rows))
		for i, r := range rows {
			zone := loc
			if r.TimeZone != "" {
				if z, err := s.zones.LoadZone(r.TimeZone); err == nil {
					zone = z
				}
			}
			flows[i] = Flow{Value: r.Value, Start: r.Start, Zone: zone}
		}
		first := time.Date(req.From.Year(), req.From.Month(), req.From.Day(), 0, 0, 0, 0, time.UTC)
		last := time.Date(req.To.Year(), req.To.Month(), req.To.Day(), 0, 0, 0, 0, time.UTC)
		for _, p := range Periods(flows) {
			if !p.End.Before(first) && !p.Start.After(last) {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}
