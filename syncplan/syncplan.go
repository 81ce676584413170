// Package syncplan answers what a phone needs before it uploads history: what the server already holds of each
// data type (a reinstalled app resumes from there) and per-week digests of the held ids (a week whose digest
// matches the phone's is skipped without sending a byte). The digest is specified in docs/upload-digests.md.
package syncplan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"healthsync/catalog"
	"healthsync/db"
)

// ErrInvalid marks a request the caller must change (unknown type, bad range or zone).
var ErrInvalid = errors.New("invalid sync plan request")

// Limits on one request: a plan of every type a phone syncs, digests of a few years at once.
const (
	MaxTypes = 100
	MaxWeeks = 260
)

// WorkoutType is the data type name of workouts, as in sync state.
const WorkoutType = "workout"

// Service answers syncPlan and uploadDigests.
type Service struct {
	store *db.Store
	cat   *catalog.Catalog
}

// NewService builds the service over the store and the catalog that names data types.
func NewService(store *db.Store, cat *catalog.Catalog) *Service {
	return &Service{store: store, cat: cat}
}

// Resolve maps a type as a device names it (HealthKit identifier, Health Connect record type or canonical name)
// to the stored table and canonical name.
func (s *Service) Resolve(typ string) (db.ItemTable, string, error) {
	if m, ok := s.cat.Lookup(typ); ok {
		return db.QuantityTable, m.Name, nil
	}
	if c, ok := s.cat.LookupCategory(typ); ok {
		return db.CategoryTable, c.Name, nil
	}
	switch strings.ToLower(typ) {
	case WorkoutType, "hkworkouttypeidentifier", "exercisesession", "exercisesessionrecord":
		return db.WorkoutTable, WorkoutType, nil
	}
	return 0, "", fmt.Errorf("%w: unknown data type %q (a HealthKit identifier, Health Connect record type, canonical metric or category name, or %q)", ErrInvalid, typ, WorkoutType)
}

// TypePlan is what the server holds of one requested type.
type TypePlan struct {
	Type     string // as requested
	DataType string // canonical
	Holdings db.TypeHoldings
	// Cursor is the requesting device's last acknowledged sync position of the type, nil when none.
	Cursor          *string
	CursorNewestEnd *time.Time
}

// Plan is the answer to syncPlan.
type Plan struct {
	TimeZone string
	Types    []TypePlan
}

// Plan tells, per type, what the user holds and where deviceID last acknowledged; weeks are cut in the device's
// last reported zone (UTC when unknown).
func (s *Service) Plan(ctx context.Context, userID int64, deviceID string, types []string) (Plan, error) {
	if len(types) == 0 || len(types) > MaxTypes {
		return Plan{}, fmt.Errorf("%w: ask for 1 to %d types", ErrInvalid, MaxTypes)
	}
	tables, names := make([]db.ItemTable, len(types)), make([]string, len(types))
	for i, t := range types {
		var err error
		if tables[i], names[i], err = s.Resolve(t); err != nil {
			return Plan{}, err
		}
	}
	var plan Plan
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		plan = Plan{TimeZone: "UTC", Types: make([]TypePlan, len(types))}
		zone, err := tx.DeviceZone(ctx, deviceID)
		if err != nil {
			return err
		}
		if _, zerr := time.LoadLocation(zone); zone != "" && zerr == nil {
			plan.TimeZone = zone
		}
		states, err := tx.SyncStates(ctx, &deviceID)
		if err != nil {
			return err
		}
		for i := range types {
			h, err := tx.Holdings(ctx, tables[i], names[i], plan.TimeZone)
			if err != nil {
				return err
			}
			slices.SortFunc(h.Weeks, func(a, b string) int { return strings.Compare(b, a) })
			tp := TypePlan{Type: types[i], DataType: names[i], Holdings: h}
			for _, st := range states {
				if st.DataType == names[i] {
					tp.Cursor, tp.CursorNewestEnd = st.Cursor, st.NewestSampleEnd
				}
			}
			plan.Types[i] = tp
		}
		return nil
	})
	return plan, err
}

// Digests answers uploadDigests: per week (Monday 00:00 to Monday 00:00 in zone, default UTC) that overlaps
// [from, to), the count and digest of the ids of typ the user holds in it, oldest first.
func (s *Service) Digests(ctx context.Context, userID int64, typ string, from, to time.Time, zone string) ([]db.DigestWeek, error) {
	table, name, err := s.Resolve(typ)
	if err != nil {
		return nil, err
	}
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("%w: unknown time zone %q (an IANA name such as Europe/Zurich)", ErrInvalid, zone)
	}
	if !from.Before(to) {
		return nil, fmt.Errorf("%w: from must be before to", ErrInvalid)
	}
	starts, ends := Weeks(from, to, loc)
	if len(starts) > MaxWeeks {
		return nil, fmt.Errorf("%w: %d weeks asked for, at most %d per request", ErrInvalid, len(starts), MaxWeeks)
	}
	var out []db.DigestWeek
	err = s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		out, err = tx.UploadDigests(ctx, table, name, starts, ends)
		return err
	})
	return out, err
}

// Weeks lists the ISO weeks (Monday 00:00 local to loc) that overlap [from, to): a week is 167, 168 or 169 hours
// long across DST changes. It stops early, past MaxWeeks+1, so a huge range costs nothing to refuse.
func Weeks(from, to time.Time, loc *time.Location) (starts, ends []time.Time) {
	l := from.In(loc)
	d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	d = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	for d.Before(to) && len(starts) <= MaxWeeks {
		next := d.AddDate(0, 0, 7)
		starts, ends = append(starts, d), append(ends, next)
		d = next
	}
	return starts, ends
}
