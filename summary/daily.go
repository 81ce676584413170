package summary

import (
	"context"
	"errors"
	"fmt"
	"time"

	"healthsync/db"
	"healthsync/series"
	"healthsync/sleep"
	"healthsync/workouts"
)

// MaxDays bounds one daily summary request.
const MaxDays = 366

// ErrInvalid is a request the caller must fix; the message after it says how.
var ErrInvalid = errors.New("invalid daily summary request")

// Request asks for the days From to To, both included, as calendar dates (midnight UTC).
type Request struct {
	From, To time.Time
	TimeZone string // "" = the user's latest device zone, else UTC
}

// Day is one day of the home page. Nil fields had no data.
type Day struct {
	Date                                                                           time.Time // the local calendar date, as midnight UTC
	Steps                                                                          *float64
	StepsSource                                                                    StepsSource // "" when Steps is nil
	DistanceMeters, ActiveEnergyKcal, ExerciseMinutes, RestingHeartRate, HrvSdnnMs *float64
	SleepMinutes                                                                   *float64 // the night that ended that day, naps excluded
	Workouts                                                                       int
	// Nutrition totals of the day, merged across sources like every cumulative metric.
	EnergyConsumedKcal, ProteinGrams, CarbohydratesGrams, FatGrams, WaterMl *float64
	// MindfulMinutes is the time covered by mindful sessions started that day, overlaps counted once.
	MindfulMinutes *float64
}

// dailyMetrics are the series a home page shows per day; cumulative ones are merged across sources.
var dailyMetrics = []struct {
	metric string
	set    func(d *Day, v float64)
}{
	{"steps", func(d *Day, v float64) { d.Steps = &v }},
	{"distance_walking_running", func(d *Day, v float64) { d.DistanceMeters = &v }},
	{"active_energy_burned", func(d *Day, v float64) { d.ActiveEnergyKcal = &v }},
	{"exercise_time", func(d *Day, v float64) { d.ExerciseMinutes = &v }},
	{"resting_heart_rate", func(d *Day, v float64) { d.RestingHeartRate = &v }},
	{"hrv_sdnn", func(d *Day, v float64) { d.HrvSdnnMs = &v }},
	{"dietary_energy_consumed", func(d *Day, v float64) { d.EnergyConsumedKcal = &v }},
	{"dietary_protein", func(d *Day, v float64) { d.ProteinGrams = &v }},
	{"dietary_carbohydrates", func(d *Day, v float64) { d.CarbohydratesGrams = &v }},
	{"dietary_fat_total", func(d *Day, v float64) { d.FatGrams = &v }},
	{"dietary_water", func(d *Day, v float64) { d.WaterMl = &v }},
}

// Service answers the daily summary.
type Service struct {
	store  *db.Store
	series *series.Service
	sleep  *sleep.Service
}

// NewService wires the daily summary over the series and sleep reads.
func NewService(store *db.Store, series *series.Service, sleep *sleep.Service) *Service {
	return &Service{store: store, series: series, sleep: sleep}
}

func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// startIn is the first instant of the calendar date day in loc.
func startIn(day time.Time, loc *time.Location) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

func (r Request) check() error {
	from, to := dateOf(r.From), dateOf(r.To)
	if to.Before(from) {
		return fmt.Errorf("%w: `to` must not be before `from`", ErrInvalid)
	}
	if from.AddDate(0, 0, MaxDays-1).Before(to) {
		return fmt.Errorf("%w: a daily summary may span at most 366 days; split the range", ErrInvalid)
	}
	return nil
}

// Daily answers the days in one transaction of the user.
func (s *Service) Daily(ctx context.Context, userID int64, req Request) ([]Day, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	var out []Day
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) (err error) {
		out, err = s.DailyTx(ctx, tx, req)
		return err
	})
	return out, err
}

// DailyTx is Daily inside the caller's user transaction: one round of set-up and four round trips, the zone
// with the sources and the sleep and workout orders (one simple query), the sleep stages, the workout starts,
// and the cached days of every metric.
func (s *Service) DailyTx(ctx context.Context, tx *db.Tx, req Request) ([]Day, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	from, to := dateOf(req.From), dateOf(req.To)
	prelude, err := tx.ReadPrelude(ctx, req.TimeZone == "", []string{"sleep", "workout"})
	if err != nil {
		return nil, err
	}
	asked := req.TimeZone
	if asked == "" {
		asked = prelude.DeviceZone
	}
	loc, err := s.series.Zone(asked)
	if err != nil {
		return nil, err
	}
	start, end := startIn(from, loc), startIn(to.AddDate(0, 0, 1), loc)
	var out []Day
	for d := from; !to.Before(d); d = d.AddDate(0, 0, 1) {
		out = append(out, Day{Date: d})
	}
	days := make(map[time.Time]*Day, len(out))
	for i := range out {
		days[out[i].Date] = &out[i]
	}
	ordered := series.OrderedFrom(prelude.Sources, prelude.Priorities, "sleep", "workout")
	if err := s.addSleep(ctx, tx, days, ordered["sleep"], start, end, loc); err != nil {
		return nil, err
	}
	if err := addWorkouts(ctx, tx, days, ordered["workout"], start, end, loc); err != nil {
		return nil, err
	}
	if err := s.addMetrics(ctx, tx, days, start, end, loc); err != nil {
		return nil, err
	}
	if err := addMindful(ctx, tx, days, start, end, loc); err != nil {
		return nil, err
	}
	if err := fillDays(ctx, tx, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) addSleep(ctx context.Context, tx *db.Tx, days map[time.Time]*Day, ordered []db.Source, start, end time.Time, loc *time.Location) error {
	sessions, err := s.sleep.OrderedTx(ctx, tx, ordered, start, end, loc)
	if err != nil {
		return err
	}
	for _, n := range sessions {
		y, m, d := n.Date()
		if day, ok := days[time.Date(y, m, d, 0, 0, 0, 0, time.UTC)]; ok && !n.IsNap {
			v := n.Asleep.Minutes()
			if day.SleepMinutes != nil {
				v += *day.SleepMinutes
			}
			day.SleepMinutes = &v
		}
	}
	return nil
}

func addWorkouts(ctx context.Context, tx *db.Tx, days map[time.Time]*Day, ordered []db.Source, start, end time.Time, loc *time.Location) error {
	ids := make([]int64, len(ordered))
	for i, src := range ordered {
		ids[i] = src.ID
	}
	starts, err := tx.WorkoutStarts(ctx, start, end, ids, workouts.OverlapNum, workouts.OverlapDen)
	if err != nil {
		return err
	}
	for _, t := range starts {
		if day, ok := days[dateOf(t.In(loc))]; ok {
			day.Workouts++
		}
	}
	return nil
}

func (s *Service) addMetrics(ctx context.Context, tx *db.Tx, days map[time.Time]*Day, start, end time.Time, loc *time.Location) error {
	names := make([]string, len(dailyMetrics))
	for i, dm := range dailyMetrics {
		names[i] = dm.metric
	}
	perMetric, err := s.series.DailyPoints(ctx, tx, names, start, end, loc)
	if err != nil {
		return err
	}
	for i, points := range perMetric {
		for _, p := range points {
			if d, ok := days[dateOf(p.Start.In(loc))]; ok {
				dailyMetrics[i].set(d, p.Value)
			}
		}
	}
	return nil
}

// fillDays applies FillSteps (a provider's daily total on days without step samples) to the page.
func fillDays(ctx context.Context, tx *db.Tx, out []Day) error {
	steps := make([]StepsDay, len(out))
	for i, d := range out {
		steps[i] = StepsDay{Date: d.Date, Steps: d.Steps}
	}
	if err := FillSteps(ctx, tx, steps); err != nil {
		return err
	}
	for i, st := range steps {
		if st.Source != "" {
			out[i].Steps, out[i].StepsSource = st.Steps, st.Source
		}
	}
	return nil
}
