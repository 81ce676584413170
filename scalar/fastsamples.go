package scalar

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"healthsync/ingest"
)

// The samples of an upload are most of its bytes. Decoded by gqlgen's transport they become a generic JSON
// value per field (maps, interfaces, strings), which UnmarshalGQL then walks: a third of an upload's server CPU,
// measured. The HTTP layer may instead decode them straight from the request's JSON with DecodeSamplesJSON,
// keep them in a Predecoded registry on the request's context, and put a placeholder in the variables;
// UnmarshalGQLContext swaps the placeholder for the list. Anything the fast decoder is not sure of is left to
// the generic path, which gives the exact error.

// predecodedPrefix starts a placeholder. It holds a NUL, which no request may contain (the server refuses
// them), so a client cannot name a list it did not send.
const predecodedPrefix = "\x00healthsync:predecoded-samples:"

type predecodedKey struct{}

// Predecoded holds the sample lists decoded from one request's body.
type Predecoded struct {
	mu    sync.Mutex
	lists []QuantitySampleList
}

// Add keeps a list and returns the placeholder that names it.
func (p *Predecoded) Add(l QuantitySampleList) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lists = append(p.lists, l)
	return predecodedPrefix + strconv.Itoa(len(p.lists)-1)
}

// WithPredecoded puts the registry on the request's context.
func WithPredecoded(ctx context.Context, p *Predecoded) context.Context {
	return context.WithValue(ctx, predecodedKey{}, p)
}

// UnmarshalGQLContext implements graphql.ContextUnmarshaler: a placeholder from this request's registry is
// replaced by its list; everything else goes through UnmarshalGQL.
func (l *QuantitySampleList) UnmarshalGQLContext(ctx context.Context, v any) error {
	if s, ok := v.(string); ok && strings.HasPrefix(s, predecodedPrefix) {
		p, _ := ctx.Value(predecodedKey{}).(*Predecoded)
		i, err := strconv.Atoi(strings.TrimPrefix(s, predecodedPrefix))
		if p != nil && err == nil {
			p.mu.Lock()
			defer p.mu.Unlock()
			if i >= 0 && i < len(p.lists) {
				*l = p.lists[i]
				return nil
			}
		}
	}
	return l.UnmarshalGQL(v)
}

// DecodeSamplesJSON decodes a JSON array of QuantitySampleInput objects straight into samples, with the same
// result UnmarshalGQL gives for the generic value of the same JSON. raw must be valid JSON (the caller has
// parsed the body). ok is false for anything it does not take (a wrong type, an unknown or missing field, a
// null where a value is required): the caller then leaves the samples to the generic path and its error.
func DecodeSamplesJSON(raw []byte) (QuantitySampleList, bool) {
	d := &decoder{b: raw}
	d.ws()
	if !d.eat('[') {
		return nil, false
	}
	out := make(QuantitySampleList, 0, bytes.Count(raw, []byte(`"source"`)))
	d.ws()
	if d.eat(']') {
		return out, true
	}
	for {
		var s ingest.QuantitySample
		if !d.sample(&s) {
			return nil, false
		}
		out = append(out, s)
		d.ws()
		if d.eat(']') {
			return out, true
		}
		if !d.eat(',') {
			return nil, false
		}
	}
}

type decoder struct {
	b []byte
	i int
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *decoder) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// str reads a JSON string. Plain ASCII-or-valid-UTF-8 strings without escapes are sliced; others go through
// encoding/json, so escapes and invalid bytes come out exactly as the generic path makes them.
func (d *decoder) str() (string, bool) {
	if d.peek() != '"' {
		return "", false
	}
	start := d.i
	d.i++
	plain := true
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			if plain && utf8.Valid(d.b[start+1:d.i-1]) {
				return string(d.b[start+1 : d.i-1]), true
			}
			var s string
			if json.Unmarshal(d.b[start:d.i], &s) != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			plain = false
			d.i += 2
		case c < 0x20:
			return "", false // not valid JSON: the generic path refuses the body
		default:
			d.i++
		}
	}
	return "", false
}

// null reads a JSON null.
func (d *decoder) null() bool {
	if d.peek() == 'n' && bytes.HasPrefix(d.b[d.i:], []byte("null")) {
		d.i += 4
		return true
	}
	return false
}

// number reads a JSON number's text.
func (d *decoder) number() (string, bool) {
	d.ws()
	start := d.i
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			d.i++
			continue
		}
		break
	}
	t := d.b[start:d.i]
	return string(t), validNumber(t)
}

// validNumber checks JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(t []byte) bool {
	i := 0
	if i < len(t) && t[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(t) && t[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(t) && t[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(t)
}

// skip passes over one valid JSON value and returns its bytes.
func (d *decoder) skip() ([]byte, bool) {
	d.ws()
	start := d.i
	depth := 0
	for d.i < len(d.b) {
		switch c := d.b[d.i]; c {
		case '"':
			if _, ok := d.str(); !ok {
				return nil, false
			}
			if depth == 0 {
				return d.b[start:d.i], true
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				d.i++
				return d.b[start:d.i], true
			}
		case ',', ':', ' ', '\t', '\n', '\r':
		default:
			if depth == 0 {
				for d.i < len(d.b) && !strings.ContainsRune(",}] \t\n\r", rune(d.b[d.i])) {
					d.i++
				}
				return d.b[start:d.i], true
			}
		}
		d.i++
	}
	return nil, false
}

// Required fields of a sample, as bits.
const (
	fID = 1 << iota
	fType
	fValue
	fUnit
	fStart
	fEnd
	fSource
	fAll = fID | fType | fValue | fUnit | fStart | fEnd | fSource
)

func (d *decoder) sample(s *ingest.QuantitySample) bool {
	if d.peek() != '{' {
		return false
	}
	d.i++
	seen := 0
	if d.peek() == '}' {
		return false // no required field
	}
	for {
		key, ok := d.str()
		if !ok || d.peek() != ':' {
			return false
		}
		d.i++
		switch key {
		case "id":
			s.ID, ok = d.str()
			seen |= fID
		case "type":
			s.Type, ok = d.str()
			seen |= fType
		case "unit":
			s.Unit, ok = d.str()
			seen |= fUnit
		case "value":
			ok = d.value(&s.Value)
			seen |= fValue
		case "start":
			s.Start, ok = d.instant()
			seen |= fStart
		case "end":
			s.End, ok = d.instant()
			seen |= fEnd
		case "source":
			s.Source = ingest.Source{}
			ok = d.source(&s.Source)
			seen |= fSource
		case "timeZone":
			s.TimeZone, ok = d.optStr()
		case "userEntered":
			s.UserEntered, ok = d.optBool()
		case "version":
			s.Version, ok = d.optInt64()
		case "metadata":
			s.Metadata, ok = d.metadata()
		default:
			return false
		}
		if !ok {
			return false
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return seen == fAll
		default:
			return false
		}
	}
}

func (d *decoder) value(v *ingest.Float) bool {
	var n Number
	switch c := d.peek(); {
	case c == '"':
		s, ok := d.str()
		if !ok || n.UnmarshalGQL(s) != nil {
			return false
		}
	case c == '-' || (c >= '0' && c <= '9'):
		t, ok := d.number()
		if !ok || n.UnmarshalGQL(json.Number(t)) != nil {
			return false
		}
	default:
		return false
	}
	*v = ingest.Float(n)
	return true
}

func (d *decoder) instant() (time.Time, bool) {
	s, ok := d.str()
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func (d *decoder) optStr() (*string, bool) {
	if d.null() {
		return nil, true
	}
	s, ok := d.str()
	return &s, ok
}

func (d *decoder) optBool() (*bool, bool) {
	if d.null() {
		return nil, true
	}
	var b bool
	switch {
	case bytes.HasPrefix(d.b[d.i:], []byte("true")):
		b, d.i = true, d.i+4
	case bytes.HasPrefix(d.b[d.i:], []byte("false")):
		d.i += 5
	default:
		return nil, false
	}
	return &b, true
}

func (d *decoder) optInt64() (*int64, bool) {
	if d.null() {
		return nil, true
	}
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		return nil, false
	}
	t, ok := d.number()
	if !ok {
		return nil, false
	}
	n, err := json.Number(t).Int64()
	if err != nil {
		return nil, false
	}
	return &n, true
}

// metadata decodes an object the way gqlgen's transport does (numbers as json.Number).
func (d *decoder) metadata() (map[string]any, bool) {
	if d.null() {
		return nil, true
	}
	if d.peek() != '{' {
		return nil, false
	}
	raw, ok := d.skip()
	if !ok {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil, false
	}
	return m, true
}

func (d *decoder) source(s *ingest.Source) bool {
	if d.peek() != '{' {
		return false
	}
	d.i++
	named := false
	if d.peek() == '}' {
		d.i++
		return false // name is required
	}
	for {
		key, ok := d.str()
		if !ok || d.peek() != ':' {
			return false
		}
		d.i++
		var p **string
		switch key {
		case "name":
			if s.Name, ok = d.str(); !ok {
				return false
			}
			named = true
		case "bundleId":
			p = &s.BundleID
		case "version":
			p = &s.Version
		case "productType":
			p = &s.ProductType
		case "deviceName":
			p = &s.DeviceName
		case "deviceModel":
			p = &s.DeviceModel
		case "deviceManufacturer":
			p = &s.DeviceManufacturer
		case "hardwareVersion":
			p = &s.HardwareVersion
		case "softwareVersion":
			p = &s.SoftwareVersion
		default:
			return false
		}
		if p != nil {
			if *p, ok = d.optStr(); !ok {
				return false
			}
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return named
		default:
			return false
		}
	}
}

// MarshalGQLContext implements graphql.ContextMarshaler (gqlgen uses the context pair only when both exist).
func (l QuantitySampleList) MarshalGQLContext(_ context.Context, w io.Writer) error {
	l.MarshalGQL(w)
	return nil
}

// RewriteUpload finds, in a GraphQL request body, the `samples` of every variable that isIngestVar accepts
// (given the operation's text and the variable's name), decodes them with DecodeSamplesJSON and returns the
// body with each replaced by a placeholder, plus the registry to put on the request's context. It walks the
// body once without building values; a nil registry means the body is to be used as it is.
func RewriteUpload(body []byte, isIngestVar func(query, name string) bool) ([]byte, *Predecoded) {
	d := &decoder{b: body}
	type splice struct {
		from, to int
		with     []byte
	}
	var (
		query   string
		varFrom = -1
		varTo   int
	)
	if d.peek() != '{' {
		return nil, nil
	}
	d.i++
	if d.peek() == '}' {
		return nil, nil
	}
	for {
		key, ok := d.str()
		if !ok || d.peek() != ':' {
			return nil, nil
		}
		d.i++
		switch key {
		case "query":
			if query, ok = d.str(); !ok {
				return nil, nil
			}
		case "variables":
			if d.peek() != '{' {
				return nil, nil
			}
			varFrom = d.i
			if _, ok := d.skip(); !ok {
				return nil, nil
			}
			varTo = d.i
		default:
			if _, ok := d.skip(); !ok {
				return nil, nil
			}
		}
		switch d.peek() {
		case ',':
			d.i++
			continue
		case '}':
			d.i++
		default:
			return nil, nil
		}
		break
	}
	if d.ws(); d.i != len(body) || varFrom < 0 || query == "" {
		return nil, nil
	}
	// The variables: find each accepted variable's samples.
	v := &decoder{b: body, i: varFrom + 1}
	reg := &Predecoded{}
	var splices []splice
	if v.peek() == '}' {
		return nil, nil
	}
	for {
		name, ok := v.str()
		if !ok || v.peek() != ':' {
			return nil, nil
		}
		v.i++
		if v.peek() == '{' && isIngestVar(query, name) {
			v.i++
			if v.peek() != '}' {
				for {
					field, ok := v.str()
					if !ok || v.peek() != ':' {
						return nil, nil
					}
					v.i++
					v.ws()
					from := v.i
					raw, ok := v.skip()
					if !ok {
						return nil, nil
					}
					if field == "samples" {
						if list, ok := DecodeSamplesJSON(raw); ok {
							ph, _ := json.Marshal(reg.Add(list))
							splices = append(splices, splice{from, v.i, ph})
						}
					}
					if v.peek() == ',' {
						v.i++
						continue
					}
					break
				}
			}
			if !v.eat('}') {
				return nil, nil
			}
		} else if _, ok := v.skip(); !ok {
			return nil, nil
		}
		switch v.peek() {
		case ',':
			v.i++
			continue
		case '}':
			v.i++
		default:
			return nil, nil
		}
		break
	}
	if v.i != varTo || len(splices) == 0 {
		return nil, nil
	}
	out := make([]byte, 0, len(body)/8)
	at := 0
	for _, s := range splices {
		out = append(out, body[at:s.from]...)
		out = append(out, s.with...)
		at = s.to
	}
	return append(out, body[at:]...), reg
}
