package functions_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestNoReflectiveTemplates: no function binary but mail links
// text/template (nor html/template over it). Its reflective method calls
// make the linker keep every method of every type: the console's pages in
// it made the callback function 5 MB larger, over its size and cold-start
// targets. The mail function has it through go-mail, its SMTP library.
func TestNoReflectiveTemplates(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, fn := range []string{"sms", "tts", "callback"} {
		out, err := exec.Command("go", "list", "-tags", "lambda.norpc,nosqlite,nethttpomithttp2", "-deps", "./"+fn).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", fn, err, out)
		}
		if deps := strings.Fields(string(out)); slices.Contains(deps, "text/template") {
			t.Errorf("the %s function links text/template", fn)
		}
	}
}
