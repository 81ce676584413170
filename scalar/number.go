// Package scalar holds the hand-written GraphQL scalar types of the schema.
package scalar

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Number is a sample value. Besides JSON numbers it takes the strings "NaN", "Infinity" and "-Infinity"
// because some mobile JSON encoders write non-finite floats that way; ingest then rejects that one sample
// with BAD_VALUE instead of the GraphQL layer failing the whole batch.
type Number float64

// UnmarshalGQL implements graphql.Unmarshaler.
func (n *Number) UnmarshalGQL(v any) error {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", string(x))
		}
		*n = Number(f)
	case float64:
		*n = Number(x)
	case int:
		*n = Number(x)
	case int64:
		*n = Number(x)
	case string:
		switch x {
		case "NaN":
			*n = Number(math.NaN())
		case "Infinity", "+Infinity", "inf", "+inf":
			*n = Number(math.Inf(1))
		case "-Infinity", "-inf":
			*n = Number(math.Inf(-1))
		default:
			f, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return fmt.Errorf("%q is not a number", x)
			}
			*n = Number(f)
		}
	default:
		return fmt.Errorf("a number is required, got %T", v)
	}
	return nil
}

// MarshalGQL implements graphql.Marshaler. Non-finite values are written as strings so the response stays valid JSON.
func (n Number) MarshalGQL(w io.Writer) {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		io.WriteString(w, `"NaN"`)
	case math.IsInf(f, 1):
		io.WriteString(w, `"Infinity"`)
	case math.IsInf(f, -1):
		io.WriteString(w, `"-Infinity"`)
	default:
		io.WriteString(w, strconv.FormatFloat(f, 'g', -1, 64))
	}
}
