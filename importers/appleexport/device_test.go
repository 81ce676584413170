package appleexport_test

import (
	"testing"

	"healthsync/importers/appleexport"
)

func TestParseDevice(t *testing.T) {
	cases := []struct {
		in   string
		want appleexport.Device
	}{
		{"<<HKDevice: 0x3012772a0>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,7, software:10.2>",
			appleexport.Device{Name: "Apple Watch", Manufacturer: "Apple Inc.", Model: "Watch", Hardware: "Watch6,7", Software: "10.2"}},
		{"<<HKDevice: 0x282a45810>, name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone10,6, software:12.3.1, localIdentifier:ABC>",
			appleexport.Device{Name: "iPhone", Manufacturer: "Apple Inc.", Model: "iPhone", Hardware: "iPhone10,6", Software: "12.3.1"}},
		{"<<HKDevice: 0x1>, name:Withings, Body+, manufacturer:Withings>",
			appleexport.Device{Name: "Withings, Body+", Manufacturer: "Withings"}},
		{"", appleexport.Device{}},
	}
	for _, c := range cases {
		if got := appleexport.ParseDevice(c.in); got != c.want {
			t.Errorf("ParseDevice(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestItemIDIsStableAndUUIDShaped(t *testing.T) {
	a, _ := appleexport.ParseTime("2024-01-01 01:01:36 +0200")
	b, _ := appleexport.ParseTime("2023-12-31 23:01:36 +0000") // the same instant, printed with another offset
	id1 := appleexport.ItemID("HKQuantityTypeIdentifierHeartRate", "Watch", a, a, "74", "count/min")
	id2 := appleexport.ItemID("HKQuantityTypeIdentifierHeartRate", "Watch", b, b, "74", "count/min")
	id3 := appleexport.ItemID("HKQuantityTypeIdentifierHeartRate", "Watch", a, a, "75", "count/min")
	if id1 != id2 {
		t.Errorf("same instant, other offset: %s != %s", id1, id2)
	}
	if id1 == id3 {
		t.Errorf("another value gave the same id %s", id1)
	}
	if len(id1) != 36 || id1[14] != '8' || id1[8] != '-' || id1[13] != '-' || id1[18] != '-' || id1[23] != '-' ||
		!(id1[19] == '8' || id1[19] == '9' || id1[19] == 'a' || id1[19] == 'b') {
		t.Errorf("id %s is not a version-8 UUID", id1)
	}
}
