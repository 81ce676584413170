package ingest

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math"
	"reflect"
	"time"
	"unsafe"
)

// Fingerprint is the batch's idempotency hash: the same key must come with the same payload (importers also
// derive content-addressed keys from it; the key itself is part of the hash, so set it afterwards). It feeds the
// fields straight into SHA-256 with length prefixes (no reflection: encoding the batch as JSON cost 8% of an
// upload's CPU); metadata maps are hashed as their JSON with sorted keys.
func (b *Batch) Fingerprint() ([]byte, error) {
	return b.fingerprint(nil)
}

// fingerprint is Fingerprint that, when metas is not nil, also sets (*metas)[i] to the JSON of quantity sample
// i's metadata ("" for none): the very bytes the normalizer stores, so it need not encode them again.
func (b *Batch) fingerprint(metas *[]string) ([]byte, error) {
	f := fp{h: sha256.New(), out: make([]byte, 0, fpChunk+512)}
	if metas != nil {
		*metas = make([]string, len(b.Samples))
	}
	f.str("v2")
	f.str(b.IdempotencyKey)
	f.str(string(b.Provider))
	f.str(b.Device.ID)
	f.present(b.ContentIDs)
	f.opt(b.Device.Model)
	f.opt(b.Device.OSVersion)
	f.opt(b.Device.AppVersion)
	f.opt(b.Device.TimeZone)
	f.n(len(b.Samples))
	for i := range b.Samples {
		s := &b.Samples[i]
		f.str(s.ID)
		f.str(s.Type)
		f.float(float64(s.Value))
		f.str(s.Unit)
		f.optBool(s.UserEntered)
		if js := f.envelope(s.Start, s.End, &s.Source, s.TimeZone, s.Version, s.Metadata); metas != nil && f.err == nil {
			(*metas)[i] = js
		}
	}
	f.n(len(b.Series))
	for i := range b.Series {
		s := &b.Series[i]
		f.str(s.ID)
		f.str(s.Type)
		f.str(s.Unit)
		f.envelope(s.Start, s.End, &s.Source, s.TimeZone, s.Version, s.Metadata)
		f.n(len(s.Points))
		for _, p := range s.Points {
			f.time(p.Time)
			f.float(float64(p.Value))
		}
	}
	f.n(len(b.Categories))
	for i := range b.Categories {
		s := &b.Categories[i]
		f.str(s.ID)
		f.str(s.Type)
		f.str(s.Value)
		f.optBool(s.UserEntered)
		f.envelope(s.Start, s.End, &s.Source, s.TimeZone, s.Version, s.Metadata)
	}
	f.n(len(b.Workouts))
	for i := range b.Workouts {
		w := &b.Workouts[i]
		f.str(w.ID)
		f.str(w.ActivityType)
		if f.present(w.DurationSeconds != nil) {
			f.float(*w.DurationSeconds)
		}
		for _, q := range []*Quantity{w.Energy, w.Distance} {
			if f.present(q != nil) {
				f.float(float64(q.Value))
				f.str(q.Unit)
			}
		}
		f.envelope(w.Start, w.End, &w.Source, w.TimeZone, w.Version, w.Metadata)
		f.workoutParts(w)
	}
	f.n(len(b.Deletions))
	for _, d := range b.Deletions {
		f.str(d)
	}
	f.n(len(b.Cursors))
	for _, c := range b.Cursors {
		f.str(c.Type)
		f.str(c.Cursor)
		if f.present(c.NewestSampleEnd != nil) {
			f.time(*c.NewestSampleEnd)
		}
	}
	f.kinds(b)
	f.audiograms(b)
	if f.err != nil {
		return nil, f.err
	}
	f.h.Write(f.out)
	return f.h.Sum(nil), nil
}

// fpChunk is how much the fingerprint gathers before handing it to the hash: one Write per field (and a copy
// of every string into a byte slice) was a third of its time.
const fpChunk = 16 << 10

type fp struct {
	h   hash.Hash
	out []byte // bytes not yet hashed
	err error
	// metaJSON is the JSON of each metadata map hashed so far, by the map: the upload decoder hands identical
	// metadata objects over as one shared map, and encoding it again for every sample (a string each) was most
	// of the fingerprint's allocations. lastMeta and lastJSON skip the look-up for a run of one map.
	metaJSON map[unsafe.Pointer]string
	lastMeta unsafe.Pointer
	lastJSON string
	// lastSrc and srcBytes are the previous item's source and the bytes it hashed as: items repeat a few
	// sources thousands of times, and the same bytes are appended again instead of being encoded again.
	lastSrc  Source
	srcBytes []byte
	hold     bool // flush waits: the bytes being appended are not in hashing order yet
}

func (f *fp) flush() {
	if len(f.out) >= fpChunk && !f.hold {
		f.h.Write(f.out)
		f.out = f.out[:0]
	}
}

func (f *fp) n(v int) {
	f.out = binary.LittleEndian.AppendUint64(f.out, uint64(v))
	f.flush()
}

func (f *fp) str(s string) {
	f.out = binary.LittleEndian.AppendUint64(f.out, uint64(len(s)))
	f.out = append(f.out, s...)
	f.flush()
}

func (f *fp) float(v float64) {
	f.out = binary.LittleEndian.AppendUint64(f.out, math.Float64bits(v))
	f.flush()
}

// time hashes the instant (not its zone), so the same moment spelled with another offset is the same payload.
func (f *fp) time(t time.Time) { f.n(int(t.UnixNano())) }

func (f *fp) present(ok bool) bool {
	if ok {
		f.n(1)
	} else {
		f.n(0)
	}
	return ok
}

func (f *fp) opt(s *string) {
	if f.present(s != nil) {
		f.str(*s)
	}
}

func (f *fp) optBool(b *bool) {
	if f.present(b != nil) {
		f.present(*b)
	}
}

func (f *fp) optInt(v *int64) {
	if f.present(v != nil) {
		f.n(int(*v))
	}
}

// envelope hashes the fields every kind of item carries (see normalizer.envelope) and returns the metadata's
// JSON ("" for none).
func (f *fp) envelope(start, end time.Time, src *Source, zone *string, ver *int64, meta map[string]any) string {
	f.time(start)
	f.time(end)
	f.source(src)
	f.opt(zone)
	f.optInt(ver)
	return f.meta(meta)
}

func (f *fp) source(s *Source) {
	if f.srcBytes != nil && sameSource(&f.lastSrc, s) {
		f.out = append(f.out, f.srcBytes...)
		f.flush()
		return
	}
	// Encoded on their own (flushing only after), so the bytes can be kept for the next items.
	rest := f.out
	f.out, f.hold = f.srcBytes[:0], true
	f.str(s.Name)
	for _, p := range []*string{s.BundleID, s.Version, s.ProductType, s.DeviceName, s.DeviceModel,
		s.DeviceManufacturer, s.HardwareVersion, s.SoftwareVersion} {
		f.opt(p)
	}
	f.srcBytes, f.lastSrc, f.hold = f.out, *s, false
	f.out = append(rest, f.srcBytes...)
	f.flush()
}

// meta hashes a metadata map as its JSON with sorted keys and returns that JSON.
func (f *fp) meta(m map[string]any) string {
	if !f.present(len(m) > 0) {
		return ""
	}
	js := f.encodeMeta(m)
	f.n(len(js))
	f.out = append(f.out, js...)
	f.flush()
	return js
}

// encodeMeta is m's JSON, encoded once per map of the batch. A map is read only while the batch is hashed, so
// the same map gives the same bytes each time.
func (f *fp) encodeMeta(m map[string]any) string {
	at := reflect.ValueOf(m).UnsafePointer()
	if at == f.lastMeta {
		return f.lastJSON
	}
	js, ok := f.metaJSON[at]
	if !ok {
		b, err := appendJSON(nil, m)
		if err != nil {
			if f.err == nil {
				f.err = err
			}
			return ""
		}
		js = string(b)
		if f.metaJSON == nil {
			f.metaJSON = map[unsafe.Pointer]string{}
		}
		f.metaJSON[at] = js
	}
	f.lastMeta, f.lastJSON = at, js
	return js
}
