package fhir

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
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

// Page is one page of an Observation search.
type Page struct {
	Observations []Observation
	Next         *db.ObservationKey // nil on the last page
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

// dbQuery turns the search into the storage query; all are the catalog's metric names.
func (q Search) dbQuery(limit int, all []string) db.ObservationQuery {
	out := db.ObservationQuery{From: q.From, To: q.To, EndBefore: q.EndBefore, NotFrom: q.NotFrom, NotTo: q.NotTo,
		After: q.After, Limit: limit, Desc: q.Desc}
	if q.Idents != nil {
		out.Idents = q.Idents
		out.IDs = []string{}
		for _, v := range q.Idents {
			// id#pointMs names one point of a series; a sample id may hold a # of its own, so both are tried and
			// the identifier comparison keeps only the exact one.
			out.IDs = append(out.IDs, v)
			if i := strings.LastIndexByte(v, '#'); i > 0 {
				out.IDs = append(out.IDs, v[:i])
			}
		}
	}
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
	// blood_pressure and a lone systolic both read the systolic rows: each metric is read once.
	slices.Sort(out.Metrics)
	out.Metrics = slices.Compact(out.Metrics)
	return out
}

// matchesNothing: a search limited to another Patient, or to ids or names none of which exist.
func (q Search) matchesNothing(subject string) bool {
	return (q.Patients != nil && !slices.Contains(q.Patients, PatientID(subject))) ||
		(q.Names != nil && len(q.Names) == 0) || (q.Idents != nil && len(q.Idents) == 0) ||
		(q.IDs != nil && len(q.IDs) == 0)
}

// resolve turns the search's resource ids into identifiers (each id is found by its digest) and adds the
// systolic identifier of a blood pressure panel whose diastolic identifier was asked for.
func (s *Service) resolve(ctx context.Context, tx *db.Tx, subject string, q Search) (Search, error) {
	if q.IDs != nil {
		idents := []string{}
		for _, id := range q.IDs {
			if !validID(id) {
				continue
			}
			ref, err := tx.ObservationByDigest(ctx, mustHex(id), func(kind int) []byte { return digestPrefix(subject, kind) })
			if err != nil {
				return q, err
			}
			if ref != nil {
				v := ref.ID
				if ref.PointMS != 0 {
					v += "#" + strconv.FormatInt(ref.PointMS, 10)
				}
				idents = append(idents, v)
			}
		}
		q.Idents = intersect(q.Idents, idents)
	}
	if len(q.Idents) > 0 {
		partners, err := tx.PanelSystolics(ctx, q.Idents)
		if err != nil {
			return q, err
		}
		q.Idents = append(q.Idents, partners...)
	}
	return q, nil
}

// Page answers one page of q for the user (userID, subject): one transaction, at most q.Count rows.
func (s *Service) Page(ctx context.Context, userID int64, subject string, q Search) (Page, error) {
	if q.matchesNothing(subject) {
		return Page{Observations: []Observation{}}, nil
	}
	var rows []db.ObservationRow
	if err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		r, err := s.resolve(ctx, tx, subject, q)
		if err != nil || r.matchesNothing(subject) {
			return err
		}
		rows, err = tx.Observations(ctx, r.dbQuery(q.Count+1, s.mapper.names))
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
		if q.IDs != nil && !slices.Contains(q.IDs, o.ID) {
			continue // a panel found by its diastolic's id: that id names no Observation
		}
		p.Observations = append(p.Observations, o)
	}
	return p, nil
}

// Count is how many Observations q finds (FHIR's _summary=count).
func (s *Service) Count(ctx context.Context, userID int64, subject string, q Search) (int64, error) {
	if q.IDs != nil {
		// A few rows by construction; counting the page keeps Page's rule for panels in one place.
		q.Count = MaxCount
		p, err := s.Page(ctx, userID, subject, q)
		return int64(len(p.Observations)), err
	}
	if q.matchesNothing(subject) {
		return 0, nil
	}
	var n int64
	err := s.store.InUserTx(ctx, userID, func(tx *db.Tx) error {
		r, err := s.resolve(ctx, tx, subject, q)
		if err != nil || r.matchesNothing(subject) {
			return err
		}
		n, err = tx.CountObservations(ctx, r.dbQuery(0, s.mapper.names))
		return err
	})
	return n, err
}

// Read is the user's Observation with id, or nil: an id of another user's data finds nothing, exactly as an
// id that never existed.
func (s *Service) Read(ctx context.Context, userID int64, subject, id string) (*Observation, error) {
	if !validID(id) {
		return nil, nil
	}
	p, err := s.Page(ctx, userID, subject, Search{Type: TypeObservation, IDs: []string{id}, Count: 1})
	if err != nil || len(p.Observations) == 0 {
		return nil, err
	}
	return &p.Observations[0], nil
}

// All yields every Observation of q (its Count ignored), reading page by page in short transactions so that
// memory stays one page whatever the user holds. The export job and the NDJSON answer use it.
func (s *Service) All(ctx context.Context, userID int64, subject string, q Search) iter.Seq2[Observation, error] {
	return func(yield func(Observation, error) bool) {
		q.Count = bulkPage
		q.Summary = false
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
	entries := make([]BundleEntry, 0, len(p.Observations))
	for i := range p.Observations {
		o := &p.Observations[i]
		entries = append(entries, Match(base, TypeObservation, o.ID, o))
	}
	return NewBundle(entries, self, next, now)
}

// Match is the searchset entry of one resource found.
func Match(base, typ, id string, r any) BundleEntry {
	return BundleEntry{FullURL: base + "/" + typ + "/" + id, Resource: r, Search: &BundleSearch{Mode: "match"}}
}

// NewBundle is a searchset Bundle of entries with its self link and, when not empty, its next link.
func NewBundle(entries []BundleEntry, self, next string, now time.Time) Bundle {
	b := Bundle{ResourceType: "Bundle", Type: "searchset", Timestamp: instant(now),
		Link: []BundleLink{{Relation: "self", URL: self}}, Entry: entries}
	if next != "" {
		b.Link = append(b.Link, BundleLink{Relation: "next", URL: next})
	}
	if b.Entry == nil {
		b.Entry = []BundleEntry{}
	}
	return b
}

// CountBundle is the answer to _summary=count: the total and no entries.
func CountBundle(total int64, self string, now time.Time) Bundle {
	b := NewBundle(nil, self, "", now)
	b.Total = &total
	return b
}

func mustHex(id string) []byte {
	b, _ := hex.DecodeString(id)
	return b
}
