package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"healthsync/db"
	"healthsync/devtools/bench"
	"healthsync/devtools/bench/gen"
	"healthsync/ingest"
	"healthsync/server"
)

// dailySummary reads its zone, sources and orders in one round trip (db.Tx.ReadPrelude); whatever it
// gives must be what the separate reads give for the same days: series per metric, sleep sessions, workouts.
// Generated data (bench/gen: two sources with overlapping steps, nightly sleep, workouts), the zone from the
// device, and a custom sleep order.
func TestDailySummaryAgreesWithTheSeparateReads(t *testing.T) {
	ctx := context.Background()
	a := newApp(t, func(o *server.Options) {
		o.Ingest = ingest.NewService(o.Store, o.Catalog, ingest.Limits{MaxItems: 20000}, nil)
	})
	store, ing := a.opts.Store, a.opts.Ingest
	g := gen.New(gen.Config{Seed: 7, Days: 40})
	u := g.User(4) // America/Los_Angeles
	dbUser, err := store.EnsureUser(ctx, u.Subject)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range g.Plan(u, 20000) {
		if _, err := ing.Ingest(ctx, dbUser.ID, bench.IngestBatch(g.Batch(u, ref), ref.Key(7))); err != nil {
			t.Fatal(err)
		}
	}
	tok := a.token(u.Subject)

	// The one-trip prelude gives exactly what the separate statements give.
	_, end := g.Span(u)
	err = store.InUserTx(ctx, dbUser.ID, func(tx *db.Tx) error {
		zone, err := tx.LatestDeviceTimeZone(ctx)
		if err != nil {
			return err
		}
		sources, err := tx.Sources(ctx)
		if err != nil {
			return err
		}
		all, err := tx.Sources(ctx)
		if err != nil {
			return err
		}
		if err := tx.SetSourcePriority(ctx, "sleep", []int64{all[len(all)-1].ID}); err != nil {
			return err
		}
		prio, err := tx.SourcePriorities(ctx, []string{"sleep", "workout"})
		if err != nil {
			return err
		}
		p, err := tx.ReadPrelude(ctx, true, []string{"sleep", "workout"})
		if err != nil {
			return err
		}
		if p.DeviceZone != zone || zone == "" || len(p.Sources) != len(sources) || !reflect.DeepEqual(p.Priorities, prio) || len(prio["sleep"]) != 1 {
			return fmt.Errorf("prelude %q %v, want %q %v", p.DeviceZone, p.Priorities, zone, prio)
		}
		for i := range sources {
			s, w := p.Sources[i], sources[i]
			if s.ID != w.ID || s.Name != w.Name || !s.FirstSeen.Equal(w.FirstSeen) || !s.LastSeen.Equal(w.LastSeen) ||
				!reflect.DeepEqual(s.BundleID, w.BundleID) || !reflect.DeepEqual(s.ProductType, w.ProductType) {
				return fmt.Errorf("source %d: %+v, want %+v", i, s, w)
			}
		}
		p, err = tx.ReadPrelude(ctx, false, []string{"workout"})
		if err != nil || p.DeviceZone != "" || len(p.Priorities) != 0 || len(p.Sources) != len(sources) {
			return fmt.Errorf("prelude without zone: %+v, %v", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Over HTTP: the last 30 days in the device's zone (not passed), against the separate reads.
	zone := u.Zone
	first, last := end.AddDate(0, 0, -30), end.AddDate(0, 0, -1)
	start, stop := first, end
	var ds struct {
		DailySummary []map[string]any `json:"dailySummary"`
	}
	a.do(tok, fmt.Sprintf(`{ dailySummary(from: %q, to: %q) { date steps distanceMeters activeEnergyKcal exerciseMinutes
		restingHeartRate hrvSdnnMs sleepMinutes workouts } }`, first.Format(time.DateOnly), last.Format(time.DateOnly)), nil).decode(t, &ds)
	if len(ds.DailySummary) != 30 {
		t.Fatalf("%d days", len(ds.DailySummary))
	}
	want := map[string]map[string]any{}
	for _, d := range ds.DailySummary {
		want[d["date"].(string)] = map[string]any{"date": d["date"], "workouts": 0.0}
	}
	day := func(t time.Time) map[string]any { return want[t.In(zone).Format(time.DateOnly)] }
	for field, metric := range map[string]string{"steps": "steps", "distanceMeters": "distance_walking_running",
		"activeEnergyKcal": "active_energy_burned", "exerciseMinutes": "exercise_time", "restingHeartRate": "resting_heart_rate",
		"hrvSdnnMs": "hrv_sdnn"} {
		for _, p := range a.series(tok, map[string]any{"m": metric, "from": start, "to": stop, "b": "DAY"}).Series.Points {
			if d := day(p.Start); d != nil {
				d[field] = p.Value
			}
		}
	}
	var sl struct {
		Sleep []struct {
			Date          string  `json:"date"`
			IsNap         bool    `json:"isNap"`
			AsleepMinutes float64 `json:"asleepMinutes"`
		} `json:"sleep"`
	}
	a.do(tok, `query($from: Time!, $to: Time!) { sleep(from: $from, to: $to) { date isNap asleepMinutes } }`,
		map[string]any{"from": start, "to": stop}).decode(t, &sl)
	nights := 0
	for _, s := range sl.Sleep {
		if d := want[s.Date]; d != nil && !s.IsNap {
			v, _ := d["sleepMinutes"].(float64)
			d["sleepMinutes"] = v + s.AsleepMinutes
			nights++
		}
	}
	var wk struct {
		Workouts struct {
			Edges []struct {
				Node struct {
					Start time.Time `json:"start"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"workouts"`
	}
	a.do(tok, `query($from: Time!, $to: Time!) { workouts(from: $from, to: $to, first: 100) { edges { node { start } } } }`,
		map[string]any{"from": start, "to": stop}).decode(t, &wk)
	for _, e := range wk.Workouts.Edges {
		if d := day(e.Node.Start); d != nil {
			d["workouts"] = d["workouts"].(float64) + 1
		}
	}
	if nights < 25 || len(wk.Workouts.Edges) < 5 {
		t.Fatalf("the generated month has %d nights and %d workouts: the test lost its data", nights, len(wk.Workouts.Edges))
	}
	for _, got := range ds.DailySummary {
		w := want[got["date"].(string)]
		for k, gv := range got {
			if gv == nil {
				if w[k] != nil {
					t.Errorf("%s %s: null, separate reads %v", got["date"], k, w[k])
				}
				continue
			}
			g, isNum := gv.(float64)
			wv, _ := w[k].(float64)
			if isNum && !near(g, wv) || !isNum && gv != w[k] {
				t.Errorf("%s %s: %v, separate reads %v", got["date"], k, gv, w[k])
			}
		}
	}
	raw, _ := json.Marshal(ds.DailySummary[len(ds.DailySummary)-1])
	t.Logf("last day: %s", raw)
}
