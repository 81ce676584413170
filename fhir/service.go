package fhir

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"

	"healthsync/catalog"
	"healthsync/db"
)

// Page sizes: DefaultCount when _count is absent, MaxCount at most; bulk reads go page by page of bulkPage.
const (
	DefaultCount = 100
	MaxCount     = 1000
	bulkPage     = 1000
)

// ErrBadSearch marks a search the caller has to change (unknown parameter, malformed date or cursor).
var ErrBadSearch = errors.New("invalid FHIR search")

// Service reads a user's stored data as Observations.
type Service struct {
	store  *db.Store
	mapper *Mapper
}

// NewService builds the service over store and the catalog.
func NewService(store *db.Store, c *catalog.Catalog) *Service {
	return &Service{store: store, mapper: NewMapper(c)}
}

// Search is a parsed Observation search.
type Search struct {
	// Names are the export names asked for by code (nil: everything); a code that names nothing leaves it
	// empty, not nil, and the search finds nothing.
	Names    []string
	From, To *time.Time
	After    *db.ObservationKey
	Count    int
}

// Page is one page of a search.
type Page struct {
	Observations []Observation
	Next         *db.ObservationKey // nil on the last page
}

// ParseSearch reads FHIR search parameters: code (system|code, comma = or; repeating code is refused), date
// with ge/gt/le/lt/eq prefixes (on the start of the observation), _count, _cursor (from a next link) and
// _format, which the HTTP layer reads.
func (s *Service) ParseSearch(v url.Values) (Search, error) {
	q := Search{Count: DefaultCount}
	for key, vals := range v {
		switch key {
		case "code":
			if len(vals) > 1 {
				return q, fmt.Errorf("%w: give code once, with its values separated by commas", ErrBadSearch)
			}
			q.Names = []string{}
			for _, tok := range strings.Split(vals[0], ",") {
				system, code, found := strings.Cut(tok, "|")
				if !found { // a bare code (or |code) is matched against every system
					system, code = "", tok
				}
				q.Names = append(q.Names, NamesFor(system, code, s.mapper.MetricForHealthKit)...)
			}
		case "date":
			for _, d := range vals {
				if err := q.addDate(d); err != nil {
					return q, err
				}
			}
		case "_count":
			n, err := strconv.Atoi(vals[0])
			if err != nil || n < 1 {
				return q, fmt.Errorf("%w: _count must be a whole number from 1 to %d", ErrBadSearch, MaxCount)
			}
			q.Count = min(n, MaxCount)
		case "_cursor":
			k, err := DecodeCursor(vals[0])
			if err != nil {
				return q, err
			}
			q.After = &k
		case "_format":
		default:
			return q, fmt.Errorf("%w: parameter %q is not supported (code, date, _count, _format)", ErrBadSearch, key)
		}
	}
	return q, nil
}

func (q *Search) addDate(v string) error {
	prefix, rest := "eq", v
	if len(v) > 2 && v[0] >= 'a' && v[0] <= 'z' {
		prefix, rest = v[:2], v[2:]
	}
	t, span, err := parseDate(rest)
	if err != nil {
		return fmt.Errorf("%w: date %q: want a day (2026-11-01) or an instant with a zone (2026-11-01T08:00:00Z), after an optional ge, gt, le, lt or eq", ErrBadSearch, v)
	}
	// A value stands for the range of its precision (a day is the whole UTC day), as FHIR's date search reads it.
	end := t.Add(span)
	switch prefix {
	case "ge":
		q.From = &t
	case "gt":
		q.From = &end
	case "lt":
		q.To = &t
	case "le":
		q.To = &end
	case "eq":
		q.From, q.To = &t, &end
	default:
		return fmt.Errorf("%w: date %q: the prefix %q is not supported (ge, gt, le, lt, eq)", ErrBadSearch, v, prefix)
	}
	return nil
}

// parseDate reads an R4 date (day precision, a UTC day) or dateTime with a zone, and the span its precision
// covers.
func parseDate(s string) (time.Time, time.Duration, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, 24 * time.Hour, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, time.Microsecond, err
}

// EncodeCursor writes k as the opaque _cursor of a next link.
func EncodeCursor(k db.ObservationKey) string {
	raw := strconv.FormatInt(k.Start.UnixMicro(), 10) + "|" + strconv.Itoa(k.Kind) + "|" + strconv.FormatInt(k.PointMS, 10) + "|" + k.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor reads a _cursor written by EncodeCursor.
func DecodeCursor(s string) (db.ObservationKey, error) {
	bad := fmt.Errorf("%w: _cursor is not one this server wrote; start again from the first page", ErrBadSearch)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return db.ObservationKey{}, bad
	}
	parts := strings.SplitN(string(b), "|", 4)
	if len(parts) != 4 {
		return db.ObservationKey{}, bad
	}
	us, err1 := strconv.ParseInt(parts[0], 10, 64)
	kind, err2 := strconv.Atoi(parts[1])
	point, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || kind < db.ObsSample || kind > db.ObsWorkout {
		return db.ObservationKey{}, bad
	}
	return db.ObservationKey{Start: time.UnixMicro(us).UTC(), Kind: kind, ID: parts[3], PointMS: point}, nil
}

// dbQuery turns the export names into the storage query; all are the catalog's metric names.
func (q Search) dbQuery(limit int, all []string) db.ObservationQuery {
	out := db.ObservationQuery{From: q.From, To: q.To, After: q.After, Limit: limit}
	if q.Names == nil {
		out.Sleep, out.Workouts, out.Metrics = true, true, all
		return out
	}
	out.Metrics, out.Names = []string{}, []string{}
	for _, n := range q.Names {
		switch n {
		case Sleep:
			out.Sleep = true
		case Workout:
			out.Workouts = true
		case BloodPressure:
			out.Metrics = append(out.Metrics, "blood_pressure_systolic", "blood_pressure_diastolic")
			out.Names = append(out.Names, n)
		default:
			out.Metrics = append(out.Metrics, n)
			out.Names = append(out.Names, n)
		}
	}
	return out
}

// Page answers one page of q for the user (userID, subject): one transaction, at most q.Count rows.
func (s *Service) Page(ctx context.Context, userID int64, subject string, q Search) (Page, error) {
	var rows []db.ObservationRow
	if err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		var err error
		rows, err = tx.Observations(ctx, q.dbQuery(q.Count+1, s.mapper.names))
		return err
	}); err != nil {
		return Page{}, err
	}
	var p Page
	if len(rows) > q.Count {
		rows = rows[:q.Count]
		k := rows[len(rows)-1].Key()
		p.Next = &k
	}
	p.Observations = make([]Observation, 0, len(rows))
	for _, r := range rows {
		o, err := s.mapper.Observation(r, subject)
		if err != nil {
			return Page{}, err
		}
		p.Observations = append(p.Observations, o)
	}
	return p, nil
}

// All yields every Observation of q (its Count ignored), reading page by page in short transactions so that
// memory stays one page whatever the user holds. The export job and the NDJSON answer use it.
func (s *Service) All(ctx context.Context, userID int64, subject string, q Search) iter.Seq2[Observation, error] {
	return func(yield func(Observation, error) bool) {
		q.Count = bulkPage
		for {
			p, err := s.Page(ctx, userID, subject, q)
			if err != nil {
				yield(Observation{}, err)
				return
			}
			for _, o := range p.Observations {
				if !yield(o, nil) {
					return
				}
			}
			if p.Next == nil {
				return
			}
			q.After = p.Next
		}
	}
}

// WriteNDJSON writes each Observation of rows as one line of JSON (FHIR bulk data's ndjson) and returns how
// many it wrote; it stops at the first error of rows, of w or of ctx.
func WriteNDJSON(ctx context.Context, w io.Writer, rows iter.Seq2[Observation, error]) (int, error) {
	enc := json.NewEncoder(w) // Encode ends each value with a newline: one resource a line
	n := 0
	for o, err := range rows {
		if err != nil {
			return n, err
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if err := enc.Encode(o); err != nil {
			return n, fmt.Errorf("write ndjson: %w", err)
		}
		n++
	}
	return n, nil
}

// SearchBundle is the searchset Bundle of p; base is the server's URL up to /fhir (for fullUrl), self the
// request's URL and next, when p has a next page, the URL of it.
func SearchBundle(p Page, base, self, next string, now time.Time) Bundle {
	b := Bundle{ResourceType: "Bundle", Type: "searchset", Timestamp: instant(now),
		Link: []BundleLink{{Relation: "self", URL: self}}, Entry: make([]BundleEntry, 0, len(p.Observations))}
	if next != "" {
		b.Link = append(b.Link, BundleLink{Relation: "next", URL: next})
	}
	for i := range p.Observations {
		o := &p.Observations[i]
		b.Entry = append(b.Entry, BundleEntry{FullURL: base + "/Observation/" + o.ID, Resource: o,
			Search: &BundleSearch{Mode: "match"}})
	}
	return b
}
