package functions_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestKeptOut: packages that cost every cold start of a function and that
// it does not need are not linked into it.
//
//   - text/template in every function but mail (nor html/template over
//     it). Its reflective method calls make the linker keep every method
//     of every type: the console's pages in it made the callback function
//     5 MB larger, over its size and cold-start targets. The mail function
//     has it through go-mail, its SMTP library.
//   - runtime/metrics in any function: its package init took 0.4 to
//     0.6 ms of a cold start (GODEBUG=inittrace=1), of which internal/godebug
//     now pays about 0.4 ms (the runtime's table of metrics, which its first
//     counter builds too), and the start reports the collector's settings
//     without it (platform.TuneGC).
func TestKeptOut(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs go list")
	}
	// The deployed builds' targets: AWS on arm64, Aliyun on amd64.
	for _, arch := range []string{"arm64", "amd64"} {
		for _, fn := range functions {
			cmd := exec.Command("go", "list", "-tags", "lambda.norpc,nosqlite,nethttpomithttp2", "-deps", "./"+fn)
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go list %s for linux/%s: %v\n%s", fn, arch, err, out)
			}
			deps := strings.Fields(string(out))
			if fn != "mail" && slices.Contains(deps, "text/template") {
				t.Errorf("the %s function for linux/%s links text/template", fn, arch)
			}
			if slices.Contains(deps, "runtime/metrics") {
				t.Errorf("the %s function for linux/%s links runtime/metrics", fn, arch)
			}
		}
	}
}
