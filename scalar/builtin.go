package scalar

import (
	"context"
	"errors"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// GraphQL's Float and Time, written as gqlgen writes them but appended into one small buffer: gqlgen's own
// writers (strconv.Quote of t.Format, fmt.Fprintf("%g")) were a third of the CPU of writing a year of chart
// buckets, measured. gqlgen.yml binds the two scalars here; reading them stays gqlgen's.

// MarshalFloatContext writes a Float the way gqlgen does (shortest %g form), refusing NaN and infinities.
func MarshalFloatContext(f float64) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return errors.New("cannot marshal infinite no NaN float values")
		}
		var buf [32]byte
		_, err := w.Write(strconv.AppendFloat(buf[:0], f, 'g', -1, 64))
		return err
	})
}

// UnmarshalFloatContext is gqlgen's.
func UnmarshalFloatContext(ctx context.Context, v any) (float64, error) {
	return graphql.UnmarshalFloatContext(ctx, v)
}

// MarshalTime writes a Time as a quoted RFC 3339 string with the fractional seconds it has; the zero time is null.
func MarshalTime(t time.Time) graphql.Marshaler {
	if t.IsZero() {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [48]byte
		b := t.AppendFormat(append(buf[:0], '"'), time.RFC3339Nano)
		_, _ = w.Write(append(b, '"'))
	})
}

// UnmarshalTime is gqlgen's.
func UnmarshalTime(v any) (time.Time, error) { return graphql.UnmarshalTime(v) }
