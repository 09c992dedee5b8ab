package console

import (
	"os"
	"regexp"
	"testing"
)

// TestWords: each language has a text for every key the other has, and
// for every key the pages name (o.t("…"), head(o, "…", …), input(o, "…",
// …) and the others): a missing one would show as the key.
func TestWords(t *testing.T) {
	for l, ws := range words {
		for other, ows := range words {
			for key := range ows {
				if _, ok := ws[key]; !ok {
					t.Errorf("%q has no text in %s (it has one in %s)", key, l, other)
				}
			}
		}
	}
	used := map[string]bool{}
	call := regexp.MustCompile(`(?:\.t\(|translate\([^,]+, |input\(o, |options\(o, )"([^"]+)"`)
	heads := regexp.MustCompile(`head\(o((?:,\s*"[^"]*")+)\)`)
	quoted := regexp.MustCompile(`"([^"]*)"`)
	for _, name := range []string{"render.go", "pages.go", "charts.go", "console.go"} {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
		for _, h := range heads.FindAllStringSubmatch(string(src), -1) {
			for _, m := range quoted.FindAllStringSubmatch(h[1], -1) {
				if m[1] != "" { // a column without a head
					used[m[1]] = true
				}
			}
		}
	}
	if !used["limited"] || !used["inbox_note"] || !used["balance"] {
		t.Fatalf("found only %d keys in the pages' source: %v", len(used), used)
	}
	for key := range used {
		for l, ws := range words {
			if _, ok := ws[key]; !ok {
				t.Errorf("the pages name %q, which has no text in %s", key, l)
			}
		}
	}
}
