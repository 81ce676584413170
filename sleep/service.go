package sleep

import (
	"context"
	"errors"
	"fmt"
	"time"

	"healthsync/db"
	"healthsync/priority"
)

// MaxRange bounds one sleep read: a year of nights is a few hundred sessions and a few tens of thousands of
// stage samples per source.
const MaxRange = 366 * 24 * time.Hour

// ErrInvalid is a request the caller must fix; the message after it says how.
var ErrInvalid = errors.New("invalid sleep request")

// Request is one read of sleep sessions.
type Request struct {
	From, To time.Time
	TimeZone string // "" = the user's latest device zone, else UTC
}

// Night is a session with the source that recorded it.
type Night struct {
	Session
	Source db.Source
}

// Zones resolves a read's time zone and loads the zones samples name; series.Service is one.
type Zones interface {
	Location(ctx context.Context, tx *db.Tx, asked string) (*time.Location, error)
	LoadZone(name string) (*time.Location, error)
}

// Service reads sleep sessions back from the stored stage samples.
type Service struct {
	store *db.Store
	zones Zones
}

// NewService wires the sleep reads.
func NewService(store *db.Store, zones Zones) *Service {
	return &Service{store: store, zones: zones}
}

func (r Request) check() error {
	if !r.To.After(r.From) {
		return fmt.Errorf("%w: `to` must be after `from`", ErrInvalid)
	}
	if r.To.Sub(r.From) > MaxRange {
		return fmt.Errorf("%w: a sleep read may span at most 366 days; split the range", ErrInvalid)
	}
	return nil
}

// Sessions reads the sessions ending in [From, To) in its own transaction of the user, one source per night.
func (s *Service) Sessions(ctx context.Context, userID int64, req Request) ([]Night, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	var out []Night
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) (err error) {
		out, err = s.SessionsTx(ctx, tx, req)
		return err
	})
	return out, err
}

// SessionsTx is Sessions inside the caller's user transaction.
func (s *Service) SessionsTx(ctx context.Context, tx *db.Tx, req Request) ([]Night, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	loc, err := s.zones.Location(ctx, tx, req.TimeZone)
	if err != nil {
		return nil, err
	}
	ordered, err := priority.Ordered(ctx, tx, "sleep")
	if err != nil {
		return nil, err
	}
	sessions, err := s.OrderedTx(ctx, tx, ordered, req.From, req.To, loc)
	if err != nil {
		return nil, err
	}
	sources := make(map[int64]db.Source, len(ordered))
	for _, src := range ordered {
		sources[src.ID] = src
	}
	out := make([]Night, len(sessions))
	for i, n := range sessions {
		src, ok := sources[n.SourceID]
		if !ok {
			return nil, fmt.Errorf("sleep: source %d of a stored sample is unknown", n.SourceID)
		}
		out[i] = Night{Session: n, Source: src}
	}
	return out, nil
}

// OrderedTx reads the stage samples around [from, to) and assembles the sessions that end in it, choosing per
// night the first source of ordered (the user's sources in the sleep priority order, read by the caller, who
// may have read them together with other orders).
func (s *Service) OrderedTx(ctx context.Context, tx *db.Tx, ordered []db.Source, from, to time.Time, loc *time.Location) ([]Session, error) {
	lo, hi := ReadWindow(from, to)
	rows, err := tx.SleepStages(ctx, lo, hi)
	if err != nil {
		return nil, err
	}
	order := make([]int64, len(ordered))
	for i, src := range ordered {
		order[i] = src.ID
	}
	samples := make([]Sample, len(rows))
	for i, row := range rows {
		samples[i] = Sample{SourceID: row.SourceID, Stage: row.Value, Start: row.Start, End: row.End,
			TimeZone: row.TimeZone, Totals: TotalsFromMinutes(row.StageMinutes)}
	}
	return SessionsLoading(samples, order, loc, from, to, s.zones.LoadZone), nil
}
