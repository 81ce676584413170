package scalar

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

// agree checks the fast decoder against the generic path on one JSON list: when the fast one takes the input,
// the generic one must take it too and give the same samples (NaN compared as NaN).
func agree(t *testing.T, src string) (fastOK bool) {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(src))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return false // not JSON: the caller never hands such bytes over
	}
	var slow QuantitySampleList
	slowErr := slow.UnmarshalGQL(v)
	fast, ok := DecodeSamplesJSON([]byte(src))
	if !ok {
		return false
	}
	if slowErr != nil {
		t.Fatalf("fast took what the generic path refuses (%v):\n%s", slowErr, src)
	}
	if len(fast) != len(slow) {
		t.Fatalf("fast %d samples, generic %d:\n%s", len(fast), len(slow), src)
	}
	for i := range fast {
		f, s := fast[i], slow[i]
		fv, sv := float64(f.Value), float64(s.Value)
		if !(fv == sv || math.IsNaN(fv) && math.IsNaN(sv)) {
			t.Fatalf("sample %d value %v vs %v", i, fv, sv)
		}
		f.Value, s.Value = 0, 0
		if !reflect.DeepEqual(f, s) {
			t.Fatalf("sample %d differs:\nfast    %+v\ngeneric %+v\n%s", i, f, s, src)
		}
	}
	return true
}

func TestFastSamplesAgreeWithTheGenericPath(t *testing.T) {
	set := func(field, raw string) string {
		return strings.Replace(good, `"timeZone": "Europe/Zurich"`, `"timeZone": "Europe/Zurich", "`+field+`": `+raw, 1)
	}
	takes := map[string]string{
		"full":            `[` + good + `]`,
		"two":             `[` + good + `,` + good + `]`,
		"empty":           `[]`,
		"escapes":         `[` + strings.Replace(good, `"count/min"`, `"count\/min"`, 1) + `]`,
		"unicode escape":  `[` + strings.Replace(good, `"name": "Watch"`, `"name": "Montre d\u00e9j\u00e0"`, 1) + `]`,
		"nan string":      `[` + strings.Replace(good, `61.5`, `"NaN"`, 1) + `]`,
		"exponent":        `[` + strings.Replace(good, `61.5`, `6.15e1`, 1) + `]`,
		"negative":        `[` + strings.Replace(good, `61.5`, `-0.5`, 1) + `]`,
		"nulls":           `[` + strings.NewReplacer(`"timeZone": "Europe/Zurich"`, `"timeZone": null`, `"userEntered": true`, `"userEntered": null`, `"version": 1732000000000`, `"version": null`, `"metadata": {"HKWasUserEntered": 1}`, `"metadata": null`).Replace(good) + `]`,
		"false flag":      `[` + strings.Replace(good, `"userEntered": true`, `"userEntered": false`, 1) + `]`,
		"nested metadata": `[` + strings.Replace(good, `{"HKWasUserEntered": 1}`, `{"a": {"b": [1, "x", {"c": null}]}, "d": "e\"f", "g": 1.5e300}`, 1) + `]`,
		"duplicate key":   `[` + set("id", `"B2"`) + `]`,
		"minimal":         `[{"id":"x","type":"steps","value":1,"unit":"count","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:01:00Z","source":{"name":"n"}}]`,
		"whitespace":      "[ \n\t" + good + " \r\n ]",
	}
	for name, src := range takes {
		if !agree(t, src) {
			t.Errorf("%s: the fast decoder left it to the generic path", name)
		}
	}
	// What the generic path refuses, the fast one leaves to it (so the error is the generic one).
	for name, src := range map[string]string{
		"unknown field":  `[` + set("colour", `"red"`) + `]`,
		"wrong case":     `[` + strings.Replace(good, `"id"`, `"ID"`, 1) + `]`,
		"null id":        `[` + strings.Replace(good, `"id": "A1"`, `"id": null`, 1) + `]`,
		"number id":      `[` + strings.Replace(good, `"id": "A1"`, `"id": 7`, 1) + `]`,
		"missing source": `[{"id":"x","type":"steps","value":1,"unit":"count","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:01:00Z"}]`,
		"bad time":       `[` + strings.Replace(good, `"2026-11-01T09:00:00+01:00"`, `"yesterday"`, 1) + `]`,
		"bad version":    `[` + strings.Replace(good, `1732000000000`, `1.5`, 1) + `]`,
		"list metadata":  `[` + strings.Replace(good, `{"HKWasUserEntered": 1}`, `[1]`, 1) + `]`,
		"source field":   `[` + strings.Replace(good, `"productType"`, `"product"`, 1) + `]`,
		"not an object":  `[1]`,
		"not a list":     `{"id": 1}`,
		"null":           `null`,
		"leading zero":   `[` + strings.Replace(good, `61.5`, `061.5`, 1) + `]`,
		"raw tab":        `[` + strings.Replace(good, `"A1"`, "\"A\t1\"", 1) + `]`,
		"bare exponent":  `[` + strings.Replace(good, `61.5`, `6e`, 1) + `]`,
	} {
		if _, ok := DecodeSamplesJSON([]byte(src)); ok {
			t.Errorf("%s: the fast decoder took what the generic path refuses", name)
		}
	}
}

func TestPlaceholdersOnlyResolveInTheirRequest(t *testing.T) {
	list, ok := DecodeSamplesJSON([]byte(`[` + good + `]`))
	if !ok {
		t.Fatal("fast decoder refused the good sample")
	}
	p := &Predecoded{}
	ph := p.Add(list)
	var got QuantitySampleList
	if err := got.UnmarshalGQLContext(WithPredecoded(context.Background(), p), ph); err != nil || len(got) != 1 || got[0].ID != "A1" {
		t.Fatalf("placeholder in its request: %v, %v", got, err)
	}
	// Another request (no registry, or another one) cannot use it: it is then just a string, not a list.
	if err := got.UnmarshalGQLContext(context.Background(), ph); err == nil {
		t.Fatal("a placeholder resolved without its registry")
	}
	if err := got.UnmarshalGQLContext(WithPredecoded(context.Background(), &Predecoded{}), ph); err == nil {
		t.Fatal("a placeholder resolved in another request's registry")
	}
}

func FuzzFastSamplesAgree(f *testing.F) {
	f.Add(`[` + good + `]`)
	f.Add(`[{"id":"x","type":"steps","value":"NaN","unit":"count","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:01:00Z","source":{"name":"n","deviceModel":null}}]`)
	f.Add(`[{"id":"\u00e9","type":"t","value":-1e-3,"unit":"u","start":"2026-01-01T00:00:00.5+05:30","end":"2026-01-01T00:00:00Z","source":{"name":"n"},"metadata":{"k":[{}]}}]`)
	f.Fuzz(func(t *testing.T, src string) {
		agree(t, src)
	})
}

// FuzzRewriteUploadAgrees: a rewritten body, its placeholders put back as the generic decoding of the samples
// they stand for, is the original body; a body that is not JSON stays one that is not.
func FuzzRewriteUploadAgrees(f *testing.F) {
	const op = `mutation M($input: IngestBatchInput!) { ingestBatch(input: $input) { accepted } }`
	f.Add(`{"query":"` + op + `","variables":{"input":{"idempotencyKey":"k","samples":[` + good + `]}}}`)
	f.Add(`{"variables":{"input":{"samples":[` + good + `],"device":{"id":"d"}},"x":1},"query":"` + op + `"}`)
	f.Add(`{"query":"` + op + `","operationName":"M","variables":{"other":[1],"input":{"samples":[]}}}`)
	isIngest := func(query, name string) bool { return name == "input" && strings.Contains(query, "IngestBatchInput") }
	decode := func(b []byte) (map[string]any, error) {
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		var v map[string]any
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		if d.More() {
			return nil, io.ErrUnexpectedEOF
		}
		return v, nil
	}
	f.Fuzz(func(t *testing.T, body string) {
		out, reg := RewriteUpload([]byte(body), isIngest)
		if reg == nil {
			return
		}
		orig, origErr := decode([]byte(body))
		rew, err := decode(out)
		switch {
		case origErr != nil && err == nil:
			// The walk does not validate what it passes over; that is gqlgen's job, so it must still see it.
			t.Fatalf("a body that is not JSON (%v) was rewritten into JSON:\n%s\n%s", origErr, body, out)
		case origErr != nil:
			return
		case err != nil:
			t.Fatalf("the rewritten body is not JSON (%v):\n%s", err, out)
		}
		vars, _ := rew["variables"].(map[string]any)
		origVars, _ := orig["variables"].(map[string]any)
		input, _ := vars["input"].(map[string]any)
		origInput, _ := origVars["input"].(map[string]any)
		ph, _ := input["samples"].(string)
		if input == nil || origInput == nil || !strings.HasPrefix(ph, predecodedPrefix) {
			t.Fatalf("rewritten without a placeholder in input.samples:\n%s", out)
		}
		var fast, slow QuantitySampleList
		if err := fast.UnmarshalGQLContext(WithPredecoded(context.Background(), reg), ph); err != nil {
			t.Fatal(err)
		}
		if err := slow.UnmarshalGQL(origInput["samples"]); err != nil {
			t.Fatalf("the generic path refuses samples the fast one took (%v):\n%s", err, body)
		}
		if len(fast) != len(slow) {
			t.Fatalf("fast %d samples, generic %d", len(fast), len(slow))
		}
		for i := range fast {
			fv, sv := float64(fast[i].Value), float64(slow[i].Value)
			if !(fv == sv || math.IsNaN(fv) && math.IsNaN(sv)) {
				t.Fatalf("sample %d value %v vs %v", i, fv, sv)
			}
			fast[i].Value, slow[i].Value = 0, 0
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("samples differ:\nfast    %+v\ngeneric %+v", fast, slow)
		}
		input["samples"] = origInput["samples"]
		if !reflect.DeepEqual(orig, rew) {
			t.Fatalf("the rest of the body changed:\n%s\n%s", body, out)
		}
	})
}
