package ingest

// Metadata keys of a sample that stands for several readings: their lowest and highest, in the sample's
// uploaded unit, the sample's value being their average (Health Auto Export's heart rate {Min, Avg, Max}).
const (
	MetadataMin = "min"
	MetadataMax = "max"
)

// SampleRange is the range a stored sample stands for, in the metric's canonical unit. It is known only when
// the range holds the value (min <= value <= max, else the keys mean something else) and the value was stored
// as uploaded: a converted unit may have an offset (°F), which one value cannot tell, so a converted sample
// answers no range rather than a wrong one.
func SampleRange(value, origValue float64, metadata map[string]any) (lo, hi float64, ok bool) {
	lo, ok1 := metadata[MetadataMin].(float64)
	hi, ok2 := metadata[MetadataMax].(float64)
	if !ok1 || !ok2 || value != origValue || !(lo <= value && value <= hi) {
		return 0, 0, false
	}
	return lo, hi, true
}
