package bench

import (
	"io"
	"testing"
)

// The profiles are of this process, so each profile flag needs --in-process.
func TestProfileFlagsNeedInProcess(t *testing.T) {
	for _, flag := range []string{"--cpuprofile", "--cpuprofile-duplicates", "--memprofile"} {
		if _, err := ParseFlags([]string{flag, "/tmp/x.out"}, io.Discard); err == nil {
			t.Errorf("%s without --in-process was accepted", flag)
		}
		o, err := ParseFlags([]string{"--in-process", flag, "/tmp/x.out"}, io.Discard)
		if err != nil {
			t.Errorf("%s --in-process: %v", flag, err)
		}
		if flag == "--cpuprofile-duplicates" && o.CPUProfileDuplicates != "/tmp/x.out" {
			t.Errorf("--cpuprofile-duplicates: got %q", o.CPUProfileDuplicates)
		}
	}
}
