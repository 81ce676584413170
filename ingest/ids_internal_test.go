package ingest

import (
	"strings"
	"testing"
)

// lowerUUID is IsUUID followed by strings.ToLower, in one pass.
func TestLowerUUIDIsIsUUIDThenToLower(t *testing.T) {
	for _, s := range []string{
		"3F2504E0-4F89-41D3-9A0C-0305E82C3301", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "3f2504E0-4f89-41D3-9a0c-0305e82C3301",
		"", "3F2504E0-4F89-41D3-9A0C-0305E82C330", "3F2504E0-4F89-41D3-9A0C-0305E82C33011", "3F2504E0_4F89-41D3-9A0C-0305E82C3301",
		"3F2504E0-4F89-41D3-9A0C-0305E82C330G", "3F2504E0-4F89-41D3-9A0C-0305E82C330g", "3F2504E0-4F89-41D3-9A0C-0305E82C33Ö",
		"3F2504E04F89-41D3-9A0C-0305E82C3301-", "------------------------------------", "GGGGGGGG-4F89-41D3-9A0C-0305E82C3301",
	} {
		got, ok := lowerUUID(s)
		if ok != IsUUID(s) || ok && got != strings.ToLower(s) {
			t.Errorf("lowerUUID(%q) = %q, %v; IsUUID says %v", s, got, ok, IsUUID(s))
		}
	}
}
