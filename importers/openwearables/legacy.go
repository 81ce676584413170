package openwearables

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// The iOS SDK before 0.4.0 posts to POST /api/v1/sdk/users/{user_id}/sync/apple, and the Flutter plugin
// open_wearables_health_sdk 0.0.7 pins that SDK (OpenWearablesHealthSDK ~> 0.2.0), so apps built with it still
// send there. Two bodies arrive on that route:
//
//   - iOS SDK 0.1.x–0.2.x: {"data": {records, sleep, workouts}} with no provider, sdkVersion or syncTimestamp.
//     Items carry "uuid" instead of "id" and "recordMetadata" as a list of {key, value} instead of "metadata";
//     workouts carry "workoutStatistics" instead of "values"; sleep items are HealthKit category samples
//     (type HKCategoryTypeIdentifierSleepAnalysis, value the HKCategoryValueSleepAnalysis integer 0–5); oxygen
//     saturation is HealthKit's fraction (0.97) with unit "%". The background per-type upload files workouts
//     and sleep among the records.
//   - iOS SDK 0.3.x: the current body (provider "apple", id, metadata, values, stage names) on the old route.
//
// DecodeApple tells them apart by the provider field and rewrites each 0.2.x item into the current shape, so
// both go through Map and the same write path as /sync.

// DecodeApple reads a body posted to /sync/apple: the current body when it names a provider, the 0.2.x body
// otherwise (its provider is apple by the route).
func DecodeApple(body []byte) (*Request, *DecodeError) {
	var env struct {
		Provider json.RawMessage `json:"provider"`
		Data     struct {
			Records  []json.RawMessage `json:"records"`
			Sleep    []json.RawMessage `json:"sleep"`
			Workouts []json.RawMessage `json:"workouts"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, &DecodeError{Code: "BAD_REQUEST", Message: "the body is not a sync request (" + jsonProblem(err) +
			"): send {data: {records, sleep, workouts}} as the iOS SDK does"}
	}
	if p := bytes.TrimSpace(env.Provider); len(p) > 0 && string(p) != "null" {
		return Decode(body)
	}
	r := &Request{Provider: "apple", legacy: true, from: map[string][]Origin{}}
	for _, c := range []struct {
		name  string
		items []json.RawMessage
	}{{"records", env.Data.Records}, {"sleep", env.Data.Sleep}, {"workouts", env.Data.Workouts}} {
		for i, raw := range c.items {
			coll, item := legacyItem(c.name, raw)
			r.add(coll, item, Origin{Collection: c.name, Index: i})
		}
	}
	return r, nil
}

// add files an item under coll, remembering where the SDK put it.
func (r *Request) add(coll string, item json.RawMessage, from Origin) {
	switch coll {
	case "records":
		r.Data.Records = append(r.Data.Records, item)
	case "sleep":
		r.Data.Sleep = append(r.Data.Sleep, item)
	case "workouts":
		r.Data.Workouts = append(r.Data.Workouts, item)
	}
	r.from[coll] = append(r.from[coll], from)
}

// sleepAnalysis is the HealthKit category type of sleep samples, folded.
const sleepAnalysis = "hkcategorytypeidentifiersleepanalysis"

// legacyItem rewrites one 0.2.x item into the current shape and says which collection it belongs to. An item
// that is not an object is passed on as it is, to be refused by index like any malformed item.
func legacyItem(coll string, raw json.RawMessage) (string, json.RawMessage) {
	var m map[string]json.RawMessage
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &m) != nil || m == nil {
		return coll, raw
	}
	rename(m, "uuid", "id")
	rename(m, "workoutStatistics", "values")
	if md, ok := m["recordMetadata"]; ok {
		delete(m, "recordMetadata")
		if _, has := m["metadata"]; !has {
			m["metadata"] = keyValues(md)
		}
	}
	switch {
	case coll == "records" && has(m, "values") && !has(m, "value"):
		coll = "workouts" // the background upload's workout, with its statistics
	case coll != "workouts" && strings.EqualFold(textOf(m["type"]), sleepAnalysis):
		coll = "sleep"
	}
	if coll == "sleep" && !has(m, "stage") {
		if stage, ok := sleepStage(m["value"]); ok {
			m["stage"] = stage
		}
	}
	out, err := json.Marshal(m)
	if err != nil { // raw values were valid JSON when read; keep the item as sent rather than lose it
		return coll, raw
	}
	return coll, out
}

func rename(m map[string]json.RawMessage, from, to string) {
	v, ok := m[from]
	if !ok {
		return
	}
	delete(m, from)
	if _, taken := m[to]; !taken {
		m[to] = v
	}
}

func has(m map[string]json.RawMessage, k string) bool {
	v, ok := m[k]
	return ok && string(bytes.TrimSpace(v)) != "null"
}

func textOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// keyValues turns the 0.2.x metadata list [{"key": k, "value": v}, …] into an object {k: v}. Anything else
// (an object, null) is passed on for Metadata to read as it reads the current body's metadata.
func keyValues(raw json.RawMessage) json.RawMessage {
	var list []map[string]json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return raw
	}
	out := map[string]json.RawMessage{}
	for i, e := range list {
		k := textOf(e["key"])
		if k == "" {
			k = "item" + strconv.Itoa(i)
		}
		v, ok := e["value"]
		if !ok {
			v = json.RawMessage("null")
		}
		out[k] = v
	}
	b, err := json.Marshal(out)
	if err != nil {
		return raw
	}
	return b
}

// legacyStages are HealthKit's HKCategoryValueSleepAnalysis integers, named as the current SDK names them
// (inBed 0, asleepUnspecified 1, awake 2, asleepCore 3, asleepDeep 4, asleepREM 5).
var legacyStages = []string{"in_bed", "sleeping", "awake", "light", "deep", "rem"}

// sleepStage names a 0.2.x sleep value. A value HealthKit does not define is kept as written, so the write
// path refuses that item by name instead of it being stored as some other stage.
func sleepStage(raw json.RawMessage) (json.RawMessage, bool) {
	var n Number
	if len(raw) == 0 || n.UnmarshalJSON(raw) != nil || !n.Valid {
		if s := textOf(raw); s != "" {
			b, _ := json.Marshal(s)
			return b, true
		}
		return nil, false
	}
	name := strconv.FormatFloat(n.F, 'f', -1, 64)
	if i := int(n.F); float64(i) == n.F && i >= 0 && i < len(legacyStages) {
		name = legacyStages[i]
	}
	b, _ := json.Marshal(name)
	return b, true
}
