package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/runtimeapi"
)

// buildEcho builds testdata/echofn the way the functions are built for the
// clouds, into dir.
func buildEcho(tb testing.TB, dir string) string {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		tb.Skipf("no go command to build the echo function: %v", err)
	}
	bin := filepath.Join(dir, "echofn")
	cmd := exec.Command(goBin, "build", "-tags", "lambda.norpc", "-o", bin, "./testdata/echofn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build echo function: %v\n%s", err, out)
	}
	return bin
}

// syncBuffer collects a child's output while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startChild runs bin against emu. The emulator's Close is registered
// before the child starts, so the cleanups kill the child first.
func startChild(tb testing.TB, bin string, emu *runtimeapi.Emulator) (stderr *syncBuffer, started time.Time) {
	tb.Helper()
	tb.Cleanup(emu.Close)
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "AWS_LAMBDA_RUNTIME_API" && k != "FC_RUNTIME_API" && k != "PORT" {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(bin)
	cmd.Env = append(env, emu.Env())
	stderr = &syncBuffer{}
	cmd.Stderr = stderr
	started = time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", bin, err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return stderr, started
}

// echoed is the echo function's reply body.
type echoed struct {
	Method    string   `json:"method"`
	Path      string   `json:"path"`
	Cookies   []string `json:"cookies"`
	Body      string   `json:"body"`
	RequestID string   `json:"requestId"`
	Deadline  bool     `json:"deadline"`
	Origin    *struct {
		Source, MessageID string
		Attempt           int
	} `json:"origin"`
}

// processCase is one invocation of the echo function in a child process.
type processCase struct {
	name      string
	payload   []byte
	header    map[string][]string            // more Runtime API headers
	check     func(t *testing.T, res []byte) // the response, when the invocation succeeds
	wantError string                         // else: a part of the error message
}

// TestProcess builds the echo function and drives it as a child process
// through both Runtime API emulators: HTTP and queue events, an
// unrecognised event, and a panic followed by requests that still work.
func TestProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a function binary")
	}
	bin := buildEcho(t, t.TempDir())
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "events", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	withPath := func(payload []byte, key, path string) []byte {
		var m map[string]any
		if err := json.Unmarshal(payload, &m); err != nil {
			t.Fatal(err)
		}
		m[key] = path
		b, _ := json.Marshal(m)
		return b
	}

	httpOK := func(path string) func(t *testing.T, res []byte) {
		return func(t *testing.T, res []byte) {
			var r struct {
				StatusCode int
				Body       string
			}
			var e echoed
			if err := json.Unmarshal(res, &r); err != nil || r.StatusCode != 200 || json.Unmarshal([]byte(r.Body), &e) != nil {
				t.Fatalf("response = %s, want status 200 and the echo", res)
			}
			if e.Method != "POST" && e.Method != "PUT" || e.Path != path || !e.Deadline || e.Origin != nil || e.RequestID == "" {
				t.Errorf("echo = %+v, want POST or PUT %s with a deadline and a request id, no origin", e, path)
			}
		}
	}
	panicked := func(t *testing.T, res []byte) {
		var r struct {
			StatusCode int
			Body       string
		}
		if err := json.Unmarshal(res, &r); err != nil || r.StatusCode != 500 || !strings.Contains(r.Body, `"Code":"ERROR"`) {
			t.Errorf("response = %s, want status 500 with the error JSON", res)
		}
	}
	equals := func(want string) func(t *testing.T, res []byte) {
		return func(t *testing.T, res []byte) {
			if string(res) != want {
				t.Errorf("response = %s, want %s", res, want)
			}
		}
	}
	sqsPanic := []byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"p1","body":"{\"panic\":true}"}]}`)

	flavors := []struct {
		name  string
		new   func() *runtimeapi.Emulator
		cases []processCase
	}{
		{"lambda", runtimeapi.NewLambda, []processCase{
			{name: "http api", payload: read("apigw-http.json"), check: httpOK("/sms")},
			{name: "rest api", payload: read("apigw-rest.json"), check: httpOK("/sms")},
			{name: "sqs batch", payload: read("sqs-batch.json"), check: equals(`{"batchItemFailures":[{"itemIdentifier":"m-retry"}]}`)},
			{name: "eventbridge done", payload: read("eventbridge.json"), check: equals(`null`)},
			{name: "eventbridge retry", payload: read("eventbridge-retry.json"), wantError: "1 of 1 messages should be retried: eb-1 (429)"},
			{name: "schedule", payload: []byte(timerEvents["scheduler"]), check: equals(`null`)},
			{name: "scheduled rule", payload: []byte(timerEvents["eventbridge rule"]), check: equals(`null`)},
			{name: "unrecognised", payload: []byte(`{"foo":1,"bar":"secret"}`), wantError: "platform: unrecognised event: top-level keys [bar foo]"},
			{name: "http panic", payload: read("apigw-http-panic.json"), check: panicked},
			{name: "sqs panic", payload: sqsPanic, check: equals(`{"batchItemFailures":[{"itemIdentifier":"p1"}]}`)},
			{name: "after the panics", payload: read("apigw-http.json"), check: httpOK("/sms")},
		}},
		{"fc", runtimeapi.NewFC, []processCase{
			{name: "http trigger", payload: read("fc-http.json"), check: httpOK("/sms")},
			{name: "numeric timeEpoch", payload: withPath(read("fc-http-numeric-epoch.json"), "rawPath", "/echo"), check: httpOK("/echo")},
			{name: "cloudevent batch", payload: read("cloudevent-batch.json"), wantError: "1 of 3 messages should be retried: MSG-0003 (503)"},
			{name: "topic json", payload: read("mns-topic-json.json"), check: equals(`null`)},
			{name: "timer", payload: read("timer-fc.json"), check: equals(`null`)},
			{name: "topic stream", payload: read("mns-topic-stream.json"), header: map[string][]string{"X-Fc-Retry-Count": {"2"}}, check: equals(`null`)},
			{name: "unrecognised", payload: []byte(`"just text"`), wantError: "platform: unrecognised event: a JSON string, not an object"},
			{name: "http panic", payload: withPath(read("fc-http.json"), "rawPath", "/panic"), check: panicked},
			{name: "queue panic", payload: []byte(`{"specversion":"1.0","id":"x","type":"mns:Queue:SendMessage","data":{"messageId":"p1","messageBody":"{\"panic\":true}"}}`),
				wantError: "1 of 1 messages should be retried: p1 (500)"},
			{name: "after the panics", payload: read("fc-http.json"), check: httpOK("/sms")},
		}},
	}
	for _, fl := range flavors {
		t.Run(fl.name, func(t *testing.T) {
			emu := fl.new()
			stderr, started := startChild(t, bin, emu)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			for i, c := range fl.cases {
				id := fl.name + "-" + strings.ReplaceAll(c.name, " ", "-")
				res, err := emu.InvokeWith(ctx, runtimeapi.Invocation{Payload: c.payload, RequestID: id, Header: c.header})
				if i == 0 {
					t.Logf("exec to first reply through the %s emulator: %v", fl.name, time.Since(started))
				}
				var fe *runtimeapi.FunctionError
				switch {
				case c.wantError != "":
					if !errors.As(err, &fe) || !strings.Contains(fe.Message, c.wantError) {
						t.Errorf("%s: error = %v, want a function error containing %q", c.name, err, c.wantError)
					}
					if strings.Contains(string(fe.Body), "secret") {
						t.Errorf("%s: the error repeats a value of the payload: %s", c.name, fe.Body)
					}
				case err != nil:
					t.Fatalf("%s: %v", c.name, err)
				default:
					c.check(t, res)
				}
			}
			checkLogs(t, stderr.String(), fl.name)
		})
	}
}

// TestProcessLocal runs the echo function with neither runtime variable
// set: it serves HTTP on $PORT, ticks every NOTIFY_TICK_EVERY, and exits
// cleanly on SIGTERM.
func TestProcessLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a function binary")
	}
	bin := buildEcho(t, t.TempDir())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	ln.Close()
	cmd := exec.Command(bin)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "AWS_LAMBDA_RUNTIME_API" && k != "FC_RUNTIME_API" && k != "PORT" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PORT="+port, "NOTIFY_TICK_EVERY=20ms")
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var resp *http.Response
	for { // until the server listens
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/echo?x=1", strings.NewReader(`{"a":1}`))
		req.Header.Set("X-Request-Id", "local-1")
		if resp, err = http.DefaultClient.Do(req); err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the local server never answered: %v\n%s", err, stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("exec to first reply as a local HTTP server: %v", time.Since(started))
	var e echoed
	err = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || e.Path != "/echo" || e.Body != `{"a":1}` || e.RequestID != "local-1" ||
		e.Deadline || e.Origin != nil || resp.Header.Get("X-Request-Id") != "local-1" {
		t.Errorf("reply %d %+v (%v), want 200 with the echo of POST /echo, request id local-1", resp.StatusCode, e, err)
	}
	for !strings.Contains(stderr.String(), `"msg":"timer tick done"`) { // the ticker stands in for a timer trigger
		if ctx.Err() != nil {
			t.Fatalf("no tick in a minute, every 20ms:\n%s", stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Errorf("after SIGTERM the function exited with %v, want status 0\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), `"msg":"HTTP server stopped"`) {
		t.Errorf("no shutdown line in the log:\n%s", stderr)
	}
}

// checkLogs reads the child's stderr: every JSON line has a request id, the
// STREAM message went through with the attempt FC's retry count gives, and
// the timer events ticked with the runtime's deadline.
func checkLogs(t *testing.T, stderr, flavor string) {
	t.Helper()
	var sawAttempt bool
	ticks := map[string]int{} // request id -> lines of a tick with a deadline, and of its end
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue // the FC SDK's own log lines are plain text
		}
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Errorf("bad JSON log line: %v: %s", err, line)
			continue
		}
		id, _ := l["request_id"].(string)
		if !strings.HasPrefix(id, flavor+"-") {
			t.Errorf("log line without this run's request id: %s", line)
		}
		if id == "fc-topic-stream" && l["msg"] == "queue message done" && l["attempt"] == 3.0 {
			sawAttempt = true
		}
		if l["msg"] == "echo tick" && l["deadline"] == true ||
			l["msg"] == "timer tick done" && l["function"] == "echo" && l["duration_ms"] != nil {
			ticks[id]++
		}
	}
	tickIDs := map[string][]string{"lambda": {"lambda-schedule", "lambda-scheduled-rule"}, "fc": {"fc-timer"}}
	for _, id := range tickIDs[flavor] {
		if ticks[id] != 2 {
			t.Errorf("invocation %s: the log does not show a tick with a deadline, then its end:\n%s", id, stderr)
		}
	}
	if flavor == "fc" && !sawAttempt {
		t.Errorf("no log line shows the STREAM message done at attempt 3:\n%s", stderr)
	}
}

// BenchmarkExecToFirstReply measures a cold start: from exec of the echo
// function to its reply to one HTTP event, through each emulator.
func BenchmarkExecToFirstReply(b *testing.B) {
	bin := buildEcho(b, b.TempDir())
	payloads := map[string][]byte{}
	for name, file := range map[string]string{"lambda": "apigw-http.json", "fc": "fc-http.json"} {
		p, err := os.ReadFile(filepath.Join("testdata", "events", file))
		if err != nil {
			b.Fatal(err)
		}
		payloads[name] = p
	}
	for _, fl := range []struct {
		name string
		new  func() *runtimeapi.Emulator
	}{{"lambda", runtimeapi.NewLambda}, {"fc", runtimeapi.NewFC}} {
		b.Run(fl.name, func(b *testing.B) {
			for b.Loop() {
				emu := fl.new()
				cmd := exec.Command(bin)
				cmd.Env = append(os.Environ(), emu.Env())
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				if _, err := emu.Invoke(context.Background(), payloads[fl.name]); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				emu.Close()
				b.StartTimer()
			}
		})
	}
}
