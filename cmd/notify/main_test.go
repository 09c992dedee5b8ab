package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMakeRun does what README.md tells a new user: start the local server
// with no environment but a port, and run the README's curl commands, in
// order. Each reply must have the Code (and Reason) of the reply the README
// shows after the command; the server must keep its records in TMPDIR, run
// the callback function's scheduled work every NOTIFY_TICK_EVERY, and stop
// cleanly on SIGTERM.
func TestMakeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	calls := readmeCalls(t)
	// A short tick period, to see the ticker stand in for the timer trigger.
	srv := startServer(t, map[string]string{"NOTIFY_TICK_EVERY": "100ms"})
	base, dir, logs := srv.base, srv.dir, srv.logs

	// The README's placeholder for a message id ("019ab5…") stands for the
	// first message it sends.
	var firstID string
	for _, c := range calls {
		target := strings.Replace(c.target, "019ab5…", firstID, 1)
		method := http.MethodGet
		if c.body != "" {
			method = http.MethodPost
		}
		req, err := http.NewRequest(method, base+target, strings.NewReader(c.body))
		if err != nil {
			t.Fatalf("README line %d: %v", c.line, err)
		}
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for _, h := range c.headers {
			name, value, _ := strings.Cut(h, ":")
			req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("README line %d: %v\nlogs:\n%s", c.line, err, logs.String())
		}
		var got map[string]any
		err = json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		if err != nil {
			t.Fatalf("README line %d: reply: %v", c.line, err)
		}
		code, _ := got["code"].(float64)
		reason, _ := got["Reason"].(string)
		switch {
		case c.want.alidayu && got["code"] != c.want.Code:
			t.Errorf("README line %d: %s gave %d %v; the README shows code %q", c.line, target, res.StatusCode, got, c.want.Code)
		case c.want.saas && (got["code"] == nil || strconv.Itoa(int(code)) != c.want.Code):
			t.Errorf("README line %d: %s gave %d %v; the README shows code %s", c.line, target, res.StatusCode, got, c.want.Code)
		case !c.want.saas && !c.want.alidayu && (got["Code"] != c.want.Code || reason != c.want.Reason):
			t.Errorf("README line %d: %s gave %d %v; the README shows Code %q, Reason %q", c.line, target,
				res.StatusCode, got, c.want.Code, c.want.Reason)
		}
		if id, _ := got["MessageId"].(string); firstID == "" {
			firstID = id
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "notify.db")); err != nil {
		t.Errorf("no record store in TMPDIR: %v", err)
	}

	for i := 0; !strings.Contains(logs.String(), `"msg":"timer tick done"`); i++ {
		if i == 200 {
			t.Fatalf("no tick in 10 s, every 100ms\nlogs:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-srv.done:
		srv.done <- err // for the cleanup
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\nlogs:\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Error("still running 10 s after SIGTERM")
	}
}

// readmeCall is a curl command of README.md, and the reply shown after it.
type readmeCall struct {
	line         int    // of the command
	target, body string // path and query; the -d body, "" for a GET
	// want is what the reply shown has: Code and Reason, or the code of
	// a SaaS route's reply (saas).
	want struct {
		Code, Reason string
		saas         bool // code is a number, as the SaaS routes' is
		alidayu      bool // code is a string, as the Alidayu routes' is
	}
	headers []string // -H values
}

// readmeCalls reads the curl commands of README.md, with the reply each is
// shown to give: the "# {...}" line that follows it, or else the first
// JSON block after its own. A command shown without a reply is an error.
func readmeCalls(t *testing.T) []readmeCall {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	var calls []readmeCall
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "curl ") {
			continue
		}
		c := readmeCall{line: i + 1}
		command := lines[i]
		for strings.HasSuffix(command, "\\") && i+1 < len(lines) {
			i++
			command = strings.TrimSuffix(command, "\\") + lines[i]
		}
		args := shellWords(command)
		for j := 1; j < len(args); j++ {
			switch a := args[j]; {
			case a == "-d" && j+1 < len(args):
				j++
				c.body = args[j]
			case a == "-H" && j+1 < len(args):
				j++
				c.headers = append(c.headers, args[j])
			case a == "-X":
				j++
			case strings.HasPrefix(a, "localhost:8010"):
				c.target = strings.TrimPrefix(a, "localhost:8010")
			}
		}
		if c.target == "" {
			t.Fatalf("README line %d: no localhost:8010 URL in %q", c.line, command)
		}
		reply := ""
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "# {") {
			reply = strings.TrimPrefix(lines[i+1], "# ")
		} else {
			for k := i + 1; k < len(lines); k++ {
				if lines[k] == "```json" && k+1 < len(lines) {
					reply = lines[k+1]
					break
				}
			}
		}
		// A shown reply may run on past its first line or elide with "…":
		// its Code and Reason are all that is read.
		for _, field := range []struct {
			name string
			dst  *string
		}{{"Code", &c.want.Code}, {"Reason", &c.want.Reason}} {
			if _, after, ok := strings.Cut(reply, `"`+field.name+`":"`); ok {
				*field.dst, _, _ = strings.Cut(after, `"`)
			}
		}
		if _, after, ok := strings.Cut(reply, `{"code":"`); ok && c.want.Code == "" {
			c.want.Code, _, _ = strings.Cut(after, `"`)
			c.want.alidayu = true
		} else if _, after, ok := strings.Cut(reply, `{"code":`); ok && c.want.Code == "" {
			c.want.Code, _, _ = strings.Cut(after, ",")
			c.want.saas = true
		}
		if c.want.Code == "" {
			t.Fatalf("README line %d: no reply with a Code shown after %q", c.line, command)
		}
		calls = append(calls, c)
	}
	if len(calls) < 5 {
		t.Fatalf("read %d curl commands from README.md; it has at least 5", len(calls))
	}
	return calls
}

// shellWords splits a command line as sh does for what README.md uses:
// words apart at blanks, and single-quoted text kept whole.
func shellWords(s string) []string {
	var (
		words  []string
		w      strings.Builder
		inWord bool
		quoted bool
	)
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case !quoted && (r == ' ' || r == '\t'):
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// TestMigrate runs `notify migrate` against a new SQLite file.
func TestMigrate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := binary(t, "notify")
	db := filepath.Join(t.TempDir(), "m.db")
	cmd := exec.Command(bin, "migrate")
	cmd.Env = []string{"NOTIFY_DATABASE_URL=sqlite:" + db, "PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "store migrated") {
		t.Fatalf("notify migrate: %v\n%s", err, out)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("no database: %v", err)
	}
	if err := exec.Command(bin, "bogus").Run(); err == nil {
		t.Error("an unknown command succeeded")
	}
}
