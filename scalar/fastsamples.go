package scalar

import (
	"bytes"
	"context"
	"encoding/binary"
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

// IsPlaceholder reports whether s is a placeholder the HTTP layer put in this request's variables: it holds a
// NUL by design, which a check for NUL characters in the variables must let through.
func IsPlaceholder(ctx context.Context, s string) bool {
	_, ok := ctx.Value(predecodedKey{}).(*Predecoded)
	return ok && strings.HasPrefix(s, predecodedPrefix)
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
	d := newDecoder(raw)
	l, ok := d.samples()
	if d.ws(); !ok || d.i != len(raw) {
		return nil, false
	}
	return l, true
}

// samples decodes the JSON array at the decoder's position.
func (d *decoder) samples() (QuantitySampleList, bool) {
	if d.peek() != '[' {
		return nil, false
	}
	d.i++
	if d.peek() == ']' {
		d.i++
		return QuantitySampleList{}, true
	}
	var out QuantitySampleList
	start := d.i
	for {
		var s ingest.QuantitySample
		if !d.sample(&s) {
			return nil, false
		}
		if out == nil {
			// Samples of one upload are alike in size: the first one's length sizes the list (counting them
			// first would be another pass over the bytes).
			out = make(QuantitySampleList, 0, (len(d.b)-start)*5/(4*(d.i-start))+1)
		}
		out = append(out, s)
		switch d.peek() {
		case ']':
			d.i++
			return out, true
		case ',':
			d.i++
		default:
			return nil, false
		}
	}
}

type decoder struct {
	b []byte
	i int
	// Strings that repeat through an upload (types, units, zones, source fields, metadata keys) are made once
	// per body: a string per field per sample was most of the decoder's allocations.
	interned map[string]string
	ptrs     map[string]*string
	sources  map[string]ingest.Source
	// Metadata objects repeat too (a heart-rate sample's motion context): samples with the same text share
	// one map, which ingest only reads.
	metas   map[string]map[string]any
	yes, no bool
}

func newDecoder(b []byte) *decoder {
	return &decoder{b: b, no: false, yes: true}
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

func (d *decoder) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// Byte classes inside a JSON string.
const (
	cPlain   = iota
	cQuote   // ends the string
	cEscape  // a backslash: the string needs unquoting
	cControl // not allowed raw in JSON
	cHigh    // part of a multi-byte UTF-8 sequence: validated once per string
)

var strClass = func() (t [256]byte) {
	for c := 0; c < 0x20; c++ {
		t[c] = cControl
	}
	t['"'], t['\\'] = cQuote, cEscape
	for c := 0x80; c < 0x100; c++ {
		t[c] = cHigh
	}
	return t
}()

// span reads a JSON string without making it a Go string: raw is what lies between the quotes, plain says it
// needs no unquoting (no escapes, valid UTF-8).
func (d *decoder) span() (raw []byte, plain bool, ok bool) {
	if d.peek() != '"' {
		return nil, false, false
	}
	start := d.i + 1
	escaped, high := false, false
	i := start
	// Eight bytes at a time while none of them is a quote, a backslash, a control or a non-ASCII byte.
	for ; i+8 <= len(d.b); i += 8 {
		w := binary.LittleEndian.Uint64(d.b[i:])
		if (hasZero(w^quotes)|hasZero(w^backslashes)|((w-spaces)&^w)|w)&highBits != 0 {
			break
		}
	}
	for ; i < len(d.b); i++ {
		switch strClass[d.b[i]] {
		case cQuote:
			d.i = i + 1
			raw = d.b[start:i]
			return raw, !escaped && (!high || utf8.Valid(raw)), true
		case cEscape:
			escaped = true
			i++
		case cControl:
			return nil, false, false // not valid JSON: the generic path refuses the body
		case cHigh:
			high = true
		}
	}
	return nil, false, false
}

// skipStr passes over a JSON string, looking only for its closing quote. What skip passes over is either
// decoded afterwards (samples, whose strings span checks) or handed to gqlgen as it is, which checks it.
func (d *decoder) skipStr() bool {
	i := d.i + 1
	for i <= len(d.b) {
		j := bytes.IndexByte(d.b[i:], '"')
		if j < 0 {
			return false
		}
		k := bytes.IndexByte(d.b[i:i+j], '\\')
		if k < 0 {
			d.i = i + j + 1
			return true
		}
		i += k + 2 // the escaped byte may be a quote
	}
	return false
}

const (
	lowBits     = 0x0101010101010101
	highBits    = 0x8080808080808080
	quotes      = '"' * lowBits
	backslashes = '\\' * lowBits
	spaces      = ' ' * lowBits
)

// hasZero has a high bit set in the bytes of w that are zero (and possibly above one that is).
func hasZero(w uint64) uint64 { return (w - lowBits) &^ w }

// unquote makes a string that needs escapes or invalid UTF-8 handled exactly as encoding/json does.
func (d *decoder) unquote(raw []byte) (string, bool) {
	var s string
	// raw lies between two quotes of the body, so the quoted form is the body's own bytes.
	start := len(d.b[:d.i]) - len(raw) - 2
	if json.Unmarshal(d.b[start:d.i], &s) != nil {
		return "", false
	}
	return s, true
}

// str reads a JSON string into a new Go string (ids: they never repeat).
func (d *decoder) str() (string, bool) { return d.text(false) }

// istr reads a JSON string that is likely to repeat through the body, making each distinct one once.
func (d *decoder) istr() (string, bool) { return d.text(true) }

func (d *decoder) text(interned bool) (string, bool) {
	raw, plain, ok := d.span()
	switch {
	case !ok:
		return "", false
	case !plain:
		return d.unquote(raw)
	case interned:
		return d.intern(raw), true
	}
	return string(raw), true
}

func (d *decoder) intern(raw []byte) string {
	if s, ok := d.interned[string(raw)]; ok {
		return s
	}
	if d.interned == nil {
		d.interned = make(map[string]string)
	}
	s := string(raw)
	d.interned[s] = s
	return s
}

// object reads a JSON object, calling member with each key once the decoder stands at the key's value, which
// member reads (reporting false for anything it does not take). key is the name as it stands between the
// quotes, unquoted first when it has escapes; it is only valid during the call.
func (d *decoder) object(member func(key []byte) bool) bool {
	if d.peek() != '{' {
		return false
	}
	d.i++
	if d.peek() == '}' {
		d.i++
		return true
	}
	for {
		key, plain, ok := d.span()
		if ok && !plain {
			var k string
			k, ok = d.unquote(key)
			key = []byte(k)
		}
		if !ok || d.peek() != ':' {
			return false
		}
		d.i++
		if !member(key) {
			return false
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return true
		default:
			return false
		}
	}
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
func (d *decoder) number() ([]byte, bool) {
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
	return t, validNumber(t)
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
			if !d.skipStr() {
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
	seen := 0
	ok := d.object(func(key []byte) (ok bool) {
		switch string(key) {
		case "id":
			s.ID, ok = d.str()
			seen |= fID
		case "type":
			s.Type, ok = d.istr()
			seen |= fType
		case "unit":
			s.Unit, ok = d.istr()
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
			s.Source, ok = d.source()
			seen |= fSource
		case "timeZone":
			s.TimeZone, ok = d.optStr()
		case "userEntered":
			s.UserEntered, ok = d.optBool()
		case "version":
			s.Version, ok = d.optInt64()
		case "metadata":
			s.Metadata, ok = d.metadata()
		}
		return ok
	})
	return ok && seen == fAll
}

func (d *decoder) value(v *ingest.Float) bool {
	switch c := d.peek(); {
	case c == '"':
		s, ok := d.str()
		var n Number
		if !ok || n.UnmarshalGQL(s) != nil {
			return false
		}
		*v = ingest.Float(n)
	case c == '-' || (c >= '0' && c <= '9'):
		t, ok := d.number()
		if !ok {
			return false
		}
		if f, ok := simpleFloat(t); ok {
			*v = ingest.Float(f)
			return true
		}
		var n Number
		if n.UnmarshalGQL(json.Number(t)) != nil {
			return false
		}
		*v = ingest.Float(n)
	default:
		return false
	}
	return true
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// simpleFloat converts the usual sample value (-?digits(.digits)?, at most 15 digits) without making a string
// for strconv: the digits and the power of ten are exact float64s, so one division rounds exactly as
// strconv.ParseFloat does. Anything else is left to strconv.
func simpleFloat(t []byte) (float64, bool) {
	neg := len(t) > 0 && t[0] == '-'
	if neg {
		t = t[1:]
	}
	var m uint64
	digits, frac, dot := 0, 0, false
	for _, c := range t {
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 {
		return 0, false
	}
	f := float64(m) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

// instant reads an RFC 3339 time. The form devices send (2026-11-24T08:05:00.123+01:00) is read from the
// bytes; anything else, and days past the 28th (time.Date would roll 31 April over), goes to time.Parse.
func (d *decoder) instant() (time.Time, bool) {
	raw, plain, ok := d.span()
	if !ok {
		return time.Time{}, false
	}
	if plain {
		if t, ok := d.fastInstant(raw); ok {
			return t, true
		}
	}
	var s string
	if plain {
		s = string(raw)
	} else if s, ok = d.unquote(raw); !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func (d *decoder) fastInstant(b []byte) (time.Time, bool) {
	num := func(b []byte) (int, bool) {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 28 ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest, nsec := b[19:], 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 {
			return time.Time{}, false
		}
		frac, _ := num(rest[1:n])
		nsec = frac * int(pow10[10-n])
		rest = rest[n:]
	}
	offset := 0
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := num(rest[1:3])
		om, ok2 := num(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

// optStr reads a nullable string that repeats through an upload (zones, source fields): one pointer per
// distinct value, shared by the samples (ingest only reads them).
func (d *decoder) optStr() (*string, bool) {
	if d.null() {
		return nil, true
	}
	raw, plain, ok := d.span()
	switch {
	case !ok:
		return nil, false
	case !plain:
		s, ok := d.unquote(raw)
		return &s, ok
	}
	if p, ok := d.ptrs[string(raw)]; ok {
		return p, true
	}
	if d.ptrs == nil {
		d.ptrs = make(map[string]*string)
	}
	s := string(raw)
	d.ptrs[s] = &s
	return &s, true
}

func (d *decoder) optBool() (*bool, bool) {
	if d.null() {
		return nil, true
	}
	switch {
	case bytes.HasPrefix(d.b[d.i:], []byte("true")):
		d.i += 4
		return &d.yes, true
	case bytes.HasPrefix(d.b[d.i:], []byte("false")):
		d.i += 5
		return &d.no, true
	}
	return nil, false
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

// maxMetadataDepth bounds the recursion of the metadata decoder; deeper values go to the generic path.
const maxMetadataDepth = 32

// metadata decodes an object the way gqlgen's transport does (numbers as json.Number).
func (d *decoder) metadata() (map[string]any, bool) {
	if d.null() {
		return nil, true
	}
	if d.peek() != '{' {
		return nil, false
	}
	start := d.i
	raw, ok := d.skip()
	if !ok {
		return nil, false
	}
	if m, ok := d.metas[string(raw)]; ok {
		return m, true
	}
	end := d.i
	d.i = start
	v, ok := d.any(0)
	if !ok || d.i != end {
		return nil, false
	}
	if d.metas == nil {
		d.metas = make(map[string]map[string]any)
	}
	m := v.(map[string]any)
	d.metas[string(raw)] = m
	return m, true
}

// any decodes one JSON value as encoding/json does into an `any` with UseNumber.
func (d *decoder) any(depth int) (any, bool) {
	if depth > maxMetadataDepth {
		return nil, false
	}
	switch c := d.peek(); {
	case c == '{':
		m := make(map[string]any)
		ok := d.object(func(key []byte) (ok bool) {
			k := d.intern(key)
			m[k], ok = d.any(depth + 1)
			return ok
		})
		return m, ok
	case c == '[':
		d.i++
		l := []any{}
		if d.peek() == ']' {
			d.i++
			return l, true
		}
		for {
			v, ok := d.any(depth + 1)
			if !ok {
				return nil, false
			}
			l = append(l, v)
			switch d.peek() {
			case ',':
				d.i++
			case ']':
				d.i++
				return l, true
			default:
				return nil, false
			}
		}
	case c == '"':
		return d.istr()
	case c == '-' || c >= '0' && c <= '9':
		t, ok := d.number()
		if !ok {
			return nil, false
		}
		return json.Number(d.intern(t)), true
	case c == 't' && bytes.HasPrefix(d.b[d.i:], []byte("true")):
		d.i += 4
		return true, true
	case c == 'f' && bytes.HasPrefix(d.b[d.i:], []byte("false")):
		d.i += 5
		return false, true
	case c == 'n' && d.null():
		return nil, true
	}
	return nil, false
}

// source reads a source object. Its JSON repeats for every sample of a device, so each distinct text is
// decoded once and its value copied (the pointers inside are shared; ingest only reads them).
func (d *decoder) source() (ingest.Source, bool) {
	if d.peek() != '{' {
		return ingest.Source{}, false
	}
	start := d.i
	raw, ok := d.skip()
	if !ok {
		return ingest.Source{}, false
	}
	if s, ok := d.sources[string(raw)]; ok {
		return s, true
	}
	end := d.i
	d.i = start
	s, ok := d.decodeSource()
	if !ok || d.i != end {
		return ingest.Source{}, false
	}
	if d.sources == nil {
		d.sources = make(map[string]ingest.Source)
	}
	d.sources[string(raw)] = s
	return s, true
}

func (d *decoder) decodeSource() (s ingest.Source, ok bool) {
	named := false
	ok = d.object(func(key []byte) (ok bool) {
		if string(key) == "name" {
			s.Name, ok = d.istr()
			named = true
		} else if p := optionalSourceField(&s, string(key)); p != nil {
			*p, ok = d.optStr()
		}
		return ok
	})
	return s, ok && named
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
	d := newDecoder(body)
	var (
		query   string
		varFrom = -1
		walked  *rewrite
	)
	ok := d.object(func(key []byte) (ok bool) {
		switch string(key) {
		case "query":
			if query != "" {
				return false // a repeated key: which one counts is the generic path's business
			}
			query, ok = d.str()
			return ok && query != ""
		case "variables":
			if varFrom >= 0 || d.peek() != '{' {
				return false
			}
			varFrom = d.i
			if query != "" {
				// The usual order: the operation is known, so the variables are decoded in this one pass.
				walked = d.variables(query, isIngestVar)
				return walked != nil
			}
		}
		_, ok = d.skip()
		return ok
	})
	if d.ws(); !ok || d.i != len(body) || varFrom < 0 || query == "" {
		return nil, nil
	}
	if walked == nil {
		v := newDecoder(body)
		v.i = varFrom
		if walked = v.variables(query, isIngestVar); walked == nil {
			return nil, nil
		}
	}
	if len(walked.splices) == 0 {
		return nil, nil
	}
	out := make([]byte, 0, len(body)/8)
	at := 0
	for _, s := range walked.splices {
		out = append(out, body[at:s.from]...)
		out = append(out, s.with...)
		at = s.to
	}
	return append(out, body[at:]...), walked.reg
}

type splice struct {
	from, to int
	with     []byte
}

// rewrite is what walking the variables found: the samples lists decoded and where their JSON was.
type rewrite struct {
	reg     *Predecoded
	splices []splice
}

// variables walks the variables object at the decoder's position, decoding the samples of each variable
// isIngestVar accepts. nil means the body is to be left as it is.
func (d *decoder) variables(query string, isIngestVar func(query, name string) bool) *rewrite {
	w := &rewrite{reg: &Predecoded{}}
	ok := d.object(func(name []byte) bool {
		if d.peek() != '{' || !isIngestVar(query, string(name)) {
			_, ok := d.skip()
			return ok
		}
		return d.object(func(field []byte) bool {
			if string(field) == "samples" {
				d.ws()
				from := d.i
				if list, ok := d.samples(); ok {
					ph, _ := json.Marshal(w.reg.Add(list))
					w.splices = append(w.splices, splice{from, d.i, ph})
					return true
				}
				d.i = from // left to the generic path
			}
			_, ok := d.skip()
			return ok
		})
	})
	if !ok {
		return nil
	}
	return w
}
