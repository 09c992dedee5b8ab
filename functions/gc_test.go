package functions_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGCSettings checks the collector a function starts with: GOGC 400,
// and a memory limit of three quarters of the memory its platform gives
// it (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, FC_FUNCTION_MEMORY_SIZE), as its
// start's log line says; and that GOGC and GOMEMLIMIT set by the
// deployment win.
func TestGCSettings(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	dir := binaries(t)
	for _, c := range []struct {
		name   string
		flavor int // of flavors
		extra  []string
		want   string
	}{
		{"lambda", 0, []string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128"}, `"gc":{"percent":400,"memory_limit_mib":96}`},
		{"fc", 1, []string{"FC_FUNCTION_MEMORY_SIZE=512"}, `"gc":{"percent":400,"memory_limit_mib":384}`},
		{"deployment's own", 0, []string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "GOGC=150", "GOMEMLIMIT=50MiB"},
			`"gc":{"percent":150,"memory_limit_mib":50}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			emu := flavors[c.flavor].new()
			t.Cleanup(emu.Close)
			ch := startChild(t, filepath.Join(dir, "sms"), env(emu, database(t), c.extra...))
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				out := ch.out.String()
				if i := strings.Index(out, `"msg":"function starting"`); i >= 0 {
					line, _, _ := strings.Cut(out[i:], "\n")
					if !strings.Contains(line, c.want) {
						t.Errorf("start line %s\nwant %s in it", line, c.want)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("no start line 20 s after the start:\n%s", out)
				}
			}
		})
	}
}
