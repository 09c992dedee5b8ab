package notify_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// repoRoot is the module's root, from this package's directory.
const repoRoot = "../.."

func catalog(t *testing.T) map[string]int {
	t.Helper()
	status := make(map[string]int)
	for _, r := range notify.Reasons() {
		if !regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`).MatchString(r.Reason) {
			t.Errorf("reason %q is not lower_snake_case", r.Reason)
		}
		if _, dup := status[r.Reason]; dup {
			t.Errorf("reason %q is in Reasons twice", r.Reason)
		}
		status[r.Reason] = r.Status
	}
	return status
}

// TestReasonsListsEveryConstant checks that every reason constant of
// reasons.go is in Reasons, and nothing else is.
func TestReasonsListsEveryConstant(t *testing.T) {
	status := catalog(t)
	f, err := parser.ParseFile(token.NewFileSet(), "reasons.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := make(map[string]bool)
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for _, v := range s.(*ast.ValueSpec).Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					consts[s] = true
				}
			}
		}
	}
	for r := range consts {
		if _, ok := status[r]; !ok {
			t.Errorf("reason %q is a constant of reasons.go but not in Reasons", r)
		}
	}
	for r := range status {
		if !consts[r] {
			t.Errorf("reason %q is in Reasons but no constant of reasons.go", r)
		}
	}
}

// reasonCalls are the functions that take a reason among their arguments.
var reasonCalls = map[string]bool{"Invalidf": true, "requestError": true, "invalid": true}

// TestNoReasonLiterals checks that no source outside reasons.go spells a
// reason: no Reason field, reason argument or comparison with a Reason is
// a string literal. Test files, and the test helper packages, may: they
// check the wire.
func TestNoReasonLiterals(t *testing.T) {
	status := catalog(t)
	fset := token.NewFileSet()
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != repoRoot && (strings.HasPrefix(name, ".") || name == "testdata" ||
				strings.HasSuffix(name, "test")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			filepath.ToSlash(path) == repoRoot+"/shared/notify/reasons.go" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		literal := func(e ast.Expr, what string) {
			lit, ok := e.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return
			}
			s, _ := strconv.Unquote(lit.Value)
			if _, known := status[s]; known || (what == "Reason" && s != "") {
				t.Errorf("%s: %s %s is a literal; use its name in notify/reasons.go", fset.Position(lit.Pos()), what, lit.Value)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Reason" {
					literal(n.Value, "Reason")
				}
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				if reasonCalls[name] {
					for _, a := range n.Args {
						literal(a, "the reason of "+name)
					}
				}
			case *ast.BinaryExpr:
				if n.Op != token.EQL && n.Op != token.NEQ {
					return true
				}
				for _, side := range [2][2]ast.Expr{{n.X, n.Y}, {n.Y, n.X}} {
					if sel, ok := side[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "Reason" {
						literal(side[1], "Reason")
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readmeTable returns the rows of the README table whose header is header.
func readmeTable(t *testing.T, readme, header string) [][]string {
	t.Helper()
	i := strings.Index(readme, "\n"+header+"\n")
	if i < 0 {
		t.Fatalf("README.md has no table with the header %q", header)
	}
	var rows [][]string
	for _, line := range strings.Split(readme[i+1:], "\n")[2:] {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		rows = append(rows, cells)
	}
	return rows
}

// TestREADMEErrorTable checks README's error tables against Reasons: the
// table of every reason names each once, with its status, and the table of
// statuses gives only reasons of the catalog.
func TestREADMEErrorTable(t *testing.T) {
	status := catalog(t)
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)

	seen := make(map[string]bool)
	for _, row := range readmeTable(t, readme, "| `Reason` | status | when |") {
		if len(row) != 3 {
			t.Errorf("README reason table: row %q has %d cells, want 3", row, len(row))
			continue
		}
		r := strings.Trim(row[0], "`")
		want, ok := status[r]
		switch {
		case !ok:
			t.Errorf("README reason table: %q is not in notify.Reasons", r)
		case seen[r]:
			t.Errorf("README reason table: %q is there twice", r)
		case want != 0 && row[1] != strconv.Itoa(want):
			t.Errorf("README reason table: %q has status %q, want %d", r, row[1], want)
		case want == 0 && row[1] == "":
			t.Errorf("README reason table: %q has no status", r)
		}
		seen[r] = true
	}
	for r := range status {
		if !seen[r] {
			t.Errorf("README reason table lacks %q", r)
		}
	}

	quoted := regexp.MustCompile("`([a-z][a-z0-9_]*)`")
	for _, row := range readmeTable(t, readme, "| status | when | `Reason` examples |") {
		for _, m := range quoted.FindAllStringSubmatch(row[len(row)-1], -1) {
			if _, ok := status[m[1]]; !ok {
				t.Errorf("README status table: %q is not in notify.Reasons", m[1])
			}
		}
	}
}

// TestNotFoundKind checks the Kind of a record that is not there: named
// not_found, and not retried.
func TestNotFoundKind(t *testing.T) {
	if got := notify.NotFound.String(); got != "not_found" {
		t.Errorf("NotFound.String() = %q, want %q", got, "not_found")
	}
	if notify.NotFound.Retryable() {
		t.Error("NotFound.Retryable() = true, want false")
	}
}
