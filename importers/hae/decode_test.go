package hae_test

import (
	"encoding/json"
	"strings"
	"testing"

	"healthsync/importers/hae"
)

// FuzzDecode: whatever the body, Decode agrees with encoding/json on whether it reads, never panics walking
// the tokens, and a refusal names no Go type.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"data":{"metrics":[{"name":"x","data":[{"qty":"1"}]}]}}`, `{"data":{"workouts":[{"duration":{}}]}}`,
		`{"data":[1,{"a":[[]]}],"workouts":"x"}`, `{"data":}`, `[`, ``, `{"data":{"metrics":[{"data":[{"Min":true}]}]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := hae.Decode(body)
		var want hae.Payload
		if (json.Unmarshal(body, &want) == nil) != (err == nil) || (err == nil) != (p != nil) {
			t.Fatalf("Decode(%q) = %v, %v", body, p, err)
		}
		if err != nil && (err.Code == "" || strings.Contains(err.Message, "Go ") || strings.Contains(err.Message, "unmarshal")) {
			t.Fatalf("Decode(%q): %+v", body, err)
		}
	})
}
