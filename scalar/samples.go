package scalar

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"healthsync/ingest"
)

// QuantitySampleList is the `samples` list of an upload, decoded by hand from gqlgen's generic JSON values.
// Typed GraphQL input lists are validated and coerced element by element by reflection, which took half of an
// upload's CPU; this decoder checks the same things (required fields, types, no unknown fields) directly.
type QuantitySampleList []ingest.QuantitySample

// UnmarshalGQL implements graphql.Unmarshaler.
func (l *QuantitySampleList) UnmarshalGQL(v any) error {
	items, ok := v.([]any)
	if !ok {
		if v == nil {
			*l = nil
			return nil
		}
		return fmt.Errorf("samples must be a list of QuantitySampleInput objects, got %s", kind(v))
	}
	out := make(QuantitySampleList, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return fmt.Errorf("samples[%d] must be a QuantitySampleInput object, got %s", i, kind(it))
		}
		if err := decodeSample(m, &out[i]); err != nil {
			return fmt.Errorf("samples[%d].%w", i, err)
		}
	}
	*l = out
	return nil
}

// MarshalGQL implements graphql.Marshaler (the type is input only; this keeps it printable).
func (l QuantitySampleList) MarshalGQL(w io.Writer) {
	io.WriteString(w, strconv.Itoa(len(l))+" samples")
}

// fieldError names the field at fault; the caller prefixes the element.
type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func decodeSample(m map[string]any, s *ingest.QuantitySample) error {
	var err error
	required := 0
	for k, v := range m {
		switch k {
		case "id":
			s.ID, err = str(k, v)
			required++
		case "type":
			s.Type, err = str(k, v)
			required++
		case "unit":
			s.Unit, err = str(k, v)
			required++
		case "value":
			var n Number
			if v == nil {
				err = &fieldError{k, "is required"}
			} else if e := n.UnmarshalGQL(v); e != nil {
				err = &fieldError{k, e.Error()}
			}
			s.Value = ingest.Float(n)
			required++
		case "start":
			s.Start, err = instant(k, v)
			required++
		case "end":
			s.End, err = instant(k, v)
			required++
		case "source":
			err = decodeSource(v, &s.Source)
			required++
		case "timeZone":
			s.TimeZone, err = optStr(k, v)
		case "userEntered":
			if v != nil {
				b, ok := v.(bool)
				if !ok {
					err = &fieldError{k, "must be a Boolean, got " + kind(v)}
				}
				s.UserEntered = &b
			}
		case "version":
			if v != nil {
				var n int64
				n, err = int64Of(k, v)
				s.Version = &n
			}
		case "metadata":
			if v != nil {
				mm, ok := v.(map[string]any)
				if !ok {
					err = &fieldError{k, "must be an object, got " + kind(v)}
				}
				s.Metadata = mm
			}
		default:
			err = &fieldError{strconv.Quote(k), "is not a field of QuantitySampleInput"}
		}
		if err != nil {
			return err
		}
	}
	if required != 7 {
		for _, f := range []string{"id", "type", "value", "unit", "start", "end", "source"} {
			if _, ok := m[f]; !ok {
				return &fieldError{f, "is required"}
			}
		}
	}
	return nil
}

// optionalSourceField is where SourceInput's nullable field named key goes, or nil for no such field.
func optionalSourceField(s *ingest.Source, key string) **string {
	switch key {
	case "bundleId":
		return &s.BundleID
	case "version":
		return &s.Version
	case "productType":
		return &s.ProductType
	case "deviceName":
		return &s.DeviceName
	case "deviceModel":
		return &s.DeviceModel
	case "deviceManufacturer":
		return &s.DeviceManufacturer
	case "hardwareVersion":
		return &s.HardwareVersion
	case "softwareVersion":
		return &s.SoftwareVersion
	}
	return nil
}

func decodeSource(v any, s *ingest.Source) error {
	m, ok := v.(map[string]any)
	if !ok {
		return &fieldError{"source", "must be a SourceInput object, got " + kind(v)}
	}
	var err error
	for k, fv := range m {
		if k == "name" {
			if s.Name, err = str("source.name", fv); err != nil {
				return err
			}
			continue
		}
		p := optionalSourceField(s, k)
		if p == nil {
			return &fieldError{"source." + strconv.Quote(k), "is not a field of SourceInput"}
		}
		if *p, err = optStr("source."+k, fv); err != nil {
			return err
		}
	}
	if _, ok := m["name"]; !ok {
		return &fieldError{"source.name", "is required"}
	}
	return nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a Boolean"
	case json.Number, float64, int, int64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func str(field string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", &fieldError{field, "must be a String, got " + kind(v)}
	}
	return s, nil
}

func optStr(field string, v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	s, err := str(field, v)
	return &s, err
}

func instant(field string, v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, &fieldError{field, "must be an RFC 3339 time string, got " + kind(v)}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &fieldError{field, fmt.Sprintf("%q is not an RFC 3339 time such as 2026-11-25T07:30:00Z", clip(s))}
	}
	return t.UTC(), nil
}

func int64Of(field string, v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			return 0, &fieldError{field, fmt.Sprintf("%s is not a 64-bit integer", x)}
		}
		return n, nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), nil
		}
	}
	return 0, &fieldError{field, "must be an integer, got " + kind(v)}
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
