// Package priority orders a user's sources for merging overlapping data, the way Apple Health does: data the
// user typed in first, then watches, then phones, then other apps and devices; ties by first seen. A user's own
// order (setSourcePriority) puts the listed sources first.
package priority

import (
	"sort"
	"strings"

	"healthsync/db"
)

// Class is a source's default rank class; lower wins.
type Class int

const (
	Watch Class = iota + 1
	Phone
	Other
)

// ClassOf tells watches and phones from the rest by product type and model (HealthKit productType `Watch6,7`,
// model `Watch` / `iPhone`; Health Connect device type or model strings).
func ClassOf(s db.Source) Class {
	for _, f := range []*string{s.ProductType, s.DeviceModel, s.HardwareVersion, s.DeviceName} {
		if f == nil {
			continue
		}
		v := strings.ToLower(*f)
		switch {
		case strings.Contains(v, "watch"):
			return Watch
		case strings.HasPrefix(v, "iphone") || strings.Contains(v, "phone"):
			return Phone
		}
	}
	return Other
}

// Order returns the sources highest priority first: those in custom (by id, in that order), then the rest by
// class and first-seen order (source id).
func Order(sources []db.Source, custom []int64) []db.Source {
	pos := make(map[int64]int, len(custom))
	for i, id := range custom {
		if _, dup := pos[id]; !dup {
			pos[id] = i
		}
	}
	out := append([]db.Source(nil), sources...)
	sort.SliceStable(out, func(i, j int) bool {
		pi, iCustom := pos[out[i].ID]
		pj, jCustom := pos[out[j].ID]
		switch {
		case iCustom && jCustom:
			return pi < pj
		case iCustom != jCustom:
			return iCustom
		}
		ci, cj := ClassOf(out[i]), ClassOf(out[j])
		if ci != cj {
			return ci < cj
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Ranks maps source id to rank (0 = highest priority) for Order's result.
func Ranks(ordered []db.Source) map[int64]int {
	r := make(map[int64]int, len(ordered))
	for i, s := range ordered {
		r[s.ID] = i
	}
	return r
}
