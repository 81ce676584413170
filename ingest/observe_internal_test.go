package ingest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSyncNoticeFitsPostgresPayloadLimit(t *testing.T) {
	n := SyncNotice{UserID: 42, DeviceID: strings.Repeat("d", 200), Accepted: 3, At: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		DataTypes: []string{"steps", "heart_rate"}}
	small, err := encodeNotice(n)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeSyncNotice(small)
	if err != nil || back.Truncated || strings.Join(back.DataTypes, ",") != "heart_rate,steps" || back.UserID != 42 ||
		back.Accepted != 3 || !back.At.Equal(n.At) {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	for i := range 400 {
		n.DataTypes = append(n.DataTypes, fmt.Sprintf("a_rather_long_data_type_name_%03d", i))
	}
	big, err := encodeNotice(n)
	if err != nil {
		t.Fatal(err)
	}
	back, err = DecodeSyncNotice(big)
	if err != nil || len(big) >= 8000 || !back.Truncated || len(back.DataTypes) != 0 || back.DeviceID != n.DeviceID {
		t.Fatalf("%d bytes, %+v %v", len(big), back.Truncated, err)
	}
}
