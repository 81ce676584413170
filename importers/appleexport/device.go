package appleexport

import "strings"

// Device is the HKDevice the export prints into a record's device attribute.
type Device struct {
	Name, Manufacturer, Model, Hardware, Software string
}

// ParseDevice reads the printed HKDevice, e.g.
// "<<HKDevice: 0x3012772a0>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,7, software:10.2>".
// Fields are separated by ", key:", so commas inside a value ("Watch6,7") stay in it. Unknown keys are ignored.
func ParseDevice(s string) Device {
	var d Device
	s = strings.TrimSpace(s)
	if s == "" {
		return d
	}
	s = strings.TrimSuffix(s, ">")
	if strings.HasPrefix(s, "<<") {
		if i := strings.Index(s, ">"); i >= 0 {
			s = s[i+1:]
		}
	}
	s = strings.TrimPrefix(strings.TrimSpace(s), ",")
	for _, part := range splitFields(s) {
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "name":
			d.Name = v
		case "manufacturer":
			d.Manufacturer = v
		case "model":
			d.Model = v
		case "hardware":
			d.Hardware = v
		case "software":
			d.Software = v
		}
	}
	return d
}

// splitFields cuts at every ", " that is followed by an identifier and a colon.
func splitFields(s string) []string {
	var out []string
	last := 0
	for i := 0; i+2 < len(s); i++ {
		if s[i] != ',' || s[i+1] != ' ' || !startsKey(s[i+2:]) {
			continue
		}
		out = append(out, s[last:i])
		last = i + 2
	}
	return append(out, s[last:])
}

func startsKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			return i > 0
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return false
}
