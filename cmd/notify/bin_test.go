package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// testBinaries are the local server and the SMTP sink of the memory test,
// built once per test binary run by one go build, in the go command's own
// environment, as `make run` (go run ./cmd/notify) builds the server. The
// test binary has the race detector; they do not, as a user's build has
// not. TestMain removes their folder.
var testBinaries struct {
	once sync.Once
	dir  string
	err  error
}

// binary returns the path of the test binary named name ("notify" or
// "smtpsink"), building both on the first call.
func binary(tb testing.TB, name string) string {
	tb.Helper()
	testBinaries.once.Do(func() {
		dir, err := os.MkdirTemp("", "notify-cmd-")
		if err != nil {
			testBinaries.err = err
			return
		}
		testBinaries.dir = dir
		build := exec.Command("go", "build", "-o", dir+string(filepath.Separator), ".", "./testdata/smtpsink")
		if out, err := build.CombinedOutput(); err != nil {
			testBinaries.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if testBinaries.err != nil {
		tb.Fatal(testBinaries.err)
	}
	return filepath.Join(testBinaries.dir, name)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testBinaries.dir != "" {
		os.RemoveAll(testBinaries.dir)
	}
	os.Exit(code)
}

// smtpSink is testdata/smtpsink running: package smtpd's server in a
// process without the race detector.
type smtpSink struct {
	url string
	in  io.WriteCloser
	out *bufio.Reader
}

// startSink starts an SMTP sink until tb ends.
func startSink(tb testing.TB) *smtpSink {
	tb.Helper()
	cmd := exec.Command(binary(tb, "smtpsink"))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		in.Close() // the sink exits when its stdin closes
		if err := cmd.Wait(); err != nil {
			tb.Errorf("smtpsink: %v", err)
		}
	})
	s := &smtpSink{in: in, out: bufio.NewReader(out)}
	if s.url, err = s.line(); err != nil {
		tb.Fatalf("smtpsink: no URL: %v", err)
	}
	return s
}

func (s *smtpSink) line() (string, error) {
	l, err := s.out.ReadString('\n')
	return strings.TrimSpace(l), err
}

// messages returns the number of messages the sink has accepted.
func (s *smtpSink) messages(tb testing.TB) int {
	tb.Helper()
	if _, err := io.WriteString(s.in, "\n"); err != nil {
		tb.Fatalf("smtpsink: %v", err)
	}
	l, err := s.line()
	if err != nil {
		tb.Fatalf("smtpsink: %v", err)
	}
	n, err := strconv.Atoi(l)
	if err != nil {
		tb.Fatalf("smtpsink: %q is not a count", l)
	}
	return n
}
