package db

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// The array literals must carry every value exactly: PostgreSQL parses what we print.
func TestFloat64ArrayPrintsEveryValueExactly(t *testing.T) {
	in := []float64{0, math.Copysign(0, -1), 72, -3, 12.5, 0.1, 1e6, 1e20, 1 << 53, -(1 << 53) - 2, 1<<53 + 2,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 123456789.000001, math.Inf(1), math.Inf(-1)}
	v, err := float64Array(in).Value()
	if err != nil {
		t.Fatal(err)
	}
	lit := v.(string)
	parts := strings.Split(strings.Trim(lit, "{}"), ",")
	if len(parts) != len(in) {
		t.Fatalf("%d elements in %s, want %d", len(parts), lit, len(in))
	}
	for i, p := range parts {
		got, err := strconv.ParseFloat(p, 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(in[i]) {
			t.Errorf("%v printed as %q", in[i], p)
		}
	}
}

func TestTextArrayQuotesAndEscapes(t *testing.T) {
	v, err := textArray{"a", "", `say "hi"`, `back\slash`, "NULL", "{,}"}.Value()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a","","say \"hi\"","back\\slash","NULL","{,}"}`; v != want {
		t.Fatalf("got %s, want %s", v, want)
	}
}
