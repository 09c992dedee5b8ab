package platform

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden is what one input event in testdata/events must produce.
type golden struct {
	Kind     Kind            `json:"kind"`
	Requests []seen          `json:"requests"`        // the requests the handler saw
	Ticks    []tick          `json:"ticks,omitempty"` // the handler's Tick calls
	Response json.RawMessage `json:"response"`        // the runtime response, absent on error
	Error    string          `json:"error,omitempty"`
}

// TestAdapters runs every event in testdata/events through Invoke with the
// recorder handler and compares the requests the handler saw and the
// response with testdata/golden/<name>.json. Run with -update to rewrite
// the goldens, then read the diff.
func TestAdapters(t *testing.T) {
	files, err := filepath.Glob("testdata/events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no input events: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			payload, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := runGolden(t, payload)
			path := filepath.Join("testdata", "golden", name+".json")
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(got); err != nil {
				t.Fatal(err)
			}
			gotJSON := buf.Bytes()
			if *update {
				if err := os.WriteFile(path, gotJSON, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run go test -run TestAdapters -update): %v", err)
			}
			if !bytes.Equal(gotJSON, want) {
				t.Errorf("%s: got\n%s\nwant\n%s", name, gotJSON, want)
			}
		})
	}
}

func runGolden(t *testing.T, payload []byte) golden {
	t.Helper()
	rec := &recorder{}
	f, err := New(rec, Options{Name: "test", QueuePath: "/queue?from=queue"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := invocationContext()
	defer cancel()
	var g golden
	g.Kind, _ = Detect(payload)
	resp, err := f.Invoke(ctx, payload)
	if err != nil {
		g.Error = err.Error()
	} else {
		if !json.Valid(resp) {
			t.Fatalf("response is not JSON: %s", resp)
		}
		g.Response = resp
	}
	g.Requests = rec.requestsInOrder(payload)
	g.Ticks = rec.ticked()
	return g
}
