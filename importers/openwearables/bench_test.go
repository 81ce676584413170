package openwearables_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"healthsync/importers/openwearables"
)

// chunk is a body like the iOS SDK's foreground chunk: 1000 heart rate records.
func chunk() []byte {
	var b strings.Builder
	b.WriteString(`{"provider":"apple","sdkVersion":"0.9.0","syncTimestamp":"2026-02-24T10:00:00Z","data":{"records":[`)
	t0 := time.Date(2026, 2, 24, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		at := t0.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		fmt.Fprintf(&b, `{"id":"AAAAAAAA-0000-4000-8000-%012d","parentId":null,"type":"HKQuantityTypeIdentifierHeartRate",`+
			`"startDate":%q,"endDate":%q,"zoneOffset":null,"value":%d,"unit":"bpm","metadata":{"HKMetadataKeyHeartRateMotionContext":"1"},`+
			`"source":{"name":"Apple Watch","bundleIdentifier":"com.apple.health.1A2B","productType":"Watch7,1","deviceModel":"Watch",`+
			`"operatingSystemVersion":{"majorVersion":11,"minorVersion":2,"patchVersion":0}}}`, i, at, at, 60+i%40)
	}
	b.WriteString(`],"sleep":[],"workouts":[]}}`)
	return []byte(b.String())
}

// plainBody is the same body in plain Go types: what json.Unmarshal alone would give, with no tolerance.
type plainBody struct {
	Provider, SDKVersion, SyncTimestamp string
	Data                                struct {
		Records []struct {
			ID, Type, Unit     string
			ParentID           *string `json:"parentId"`
			ZoneOffset         *string `json:"zoneOffset"`
			StartDate, EndDate time.Time
			Value              float64
			Metadata           map[string]any
			Source             map[string]any
		}
	}
}

// BenchmarkDecodeTolerant reads the envelope and then every item on its own (what the sync route does);
// BenchmarkDecodePlain is json.Unmarshal of the whole body into plain types, the baseline.
func BenchmarkDecodeTolerant(b *testing.B) {
	body := chunk()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		req, derr := openwearables.Decode(body)
		if derr != nil {
			b.Fatal(derr)
		}
		for _, raw := range req.Data.Records {
			if _, err := openwearables.DecodeRecord(raw); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkDecodePlain(b *testing.B) {
	body := chunk()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		var p plainBody
		if err := json.Unmarshal(body, &p); err != nil {
			b.Fatal(err)
		}
		if len(p.Data.Records) != 1000 {
			b.Fatal(len(p.Data.Records))
		}
	}
}
