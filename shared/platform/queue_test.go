package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// logLines decodes the JSON lines a Logger wrote.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, l)
		}
		lines = append(lines, m)
	}
	return lines
}

// findLine returns the first log line whose message_id is id.
func findLine(lines []map[string]any, id string) map[string]any {
	for _, l := range lines {
		if l["message_id"] == id {
			return l
		}
	}
	return nil
}

// An SQS batch with one good, one permanently bad (400) and one retryable
// (503) message: only the retryable one is named for redelivery; the bad
// one is logged as an error with the handler's reason.
func TestSQSPartialBatch(t *testing.T) {
	payload, err := os.ReadFile("testdata/events/sqs-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	f, err := New(&recorder{}, Options{Name: "sms", QueuePath: "/sms", Log: Logger(&logs, slog.LevelInfo)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := invocationContext()
	defer cancel()
	resp, err := f.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if got, want := string(resp), `{"batchItemFailures":[{"itemIdentifier":"m-retry"}]}`; got != want {
		t.Errorf("response = %s, want %s", got, want)
	}
	lines := logLines(t, &logs)
	tests := []struct {
		id, level string
		status    float64
		reason    any
	}{
		{"m-ok", "INFO", 201, nil},
		{"m-bad", "ERROR", 400, "asked for 400"},
		{"m-retry", "WARN", 503, "asked for 503"},
	}
	for _, tt := range tests {
		l := findLine(lines, tt.id)
		if l == nil {
			t.Errorf("no log line for message %s in\n%s", tt.id, logs.String())
			continue
		}
		if l["level"] != tt.level || l["status"] != tt.status || l["reason"] != tt.reason ||
			l["request_id"] != "req-test" || l["source"] != "sqs" {
			t.Errorf("log line for %s = %v, want level %s, status %v, reason %v, request_id req-test, source sqs",
				tt.id, l, tt.level, tt.status, tt.reason)
		}
	}
}

// When every message succeeds, the SQS response is an empty list, not null.
func TestSQSAllDone(t *testing.T) {
	f, err := New(&recorder{}, Options{Name: "sms", QueuePath: "/sms"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.Invoke(context.Background(), []byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"a","body":"{}"}]}`))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if got, want := string(resp), `{"batchItemFailures":[]}`; got != want {
		t.Errorf("response = %s, want %s", got, want)
	}
}

// A queue event's messages get the invocation's deadline less
// replyReserve, so that the batch's reply is made before the deadline.
func TestQueueReplyReserve(t *testing.T) {
	var mu sync.Mutex
	var got []time.Time
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := r.Context().Deadline()
		mu.Lock()
		defer mu.Unlock()
		got = append(got, d)
		w.WriteHeader(http.StatusOK)
	})
	f, err := New(h, Options{Name: "sms", QueuePath: "/sms"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	payload := []byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"a","body":"{}"},{"eventSource":"aws:sqs","messageId":"b","body":"{}"}]}`)
	if _, err := f.Invoke(ctx, payload); err != nil {
		t.Fatal(err)
	}
	if want := deadline.Add(-replyReserve); len(got) != 2 || !got[0].Equal(want) || !got[1].Equal(want) {
		t.Errorf("the messages' deadlines %v; want %v for both", got, want)
	}
}

// TestQueueSlowBatch: a batch of ten messages whose sends take 300 ms
// each, on an invocation of one second, has every message sent. One after
// another, seven of them came back untried, each using up a receive.
func TestQueueSlowBatch(t *testing.T) {
	var mu sync.Mutex
	sent := map[string]bool{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		o, _ := notify.OriginFrom(r.Context())
		mu.Lock()
		defer mu.Unlock()
		sent[o.MessageID] = true
		w.WriteHeader(http.StatusOK)
	})
	f, err := New(h, Options{Name: "sms", QueuePath: "/sms"})
	if err != nil {
		t.Fatal(err)
	}
	var records []string
	for i := range 10 {
		records = append(records, `{"eventSource":"aws:sqs","messageId":"m`+string(rune('0'+i))+`","body":"{}"}`)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	resp, err := f.Invoke(ctx, []byte(`{"Records":[`+strings.Join(records, ",")+`]}`))
	if want := `{"batchItemFailures":[]}`; err != nil || string(resp) != want {
		t.Errorf("Invoke = %s, %v; want %s", resp, err, want)
	}
	if len(sent) != 10 {
		t.Errorf("%d of 10 messages sent before the deadline", len(sent))
	}
}

// A message whose handler panics is retried; so is one that arrives after
// the deadline, without reaching the handler.
func TestQueueRetries(t *testing.T) {
	payload := []byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"a","body":"{}"},{"eventSource":"aws:sqs","messageId":"b","body":"{}"}]}`)
	const all = `{"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":"b"}]}`
	t.Run("panic", func(t *testing.T) {
		rec := &recorder{}
		f, err := New(rec, Options{Name: "sms", QueuePath: "/panic"})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := f.Invoke(context.Background(), payload)
		if err != nil || string(resp) != all {
			t.Errorf("Invoke = %s, %v; want %s", resp, err, all)
		}
		if n := len(rec.requests()); n != 2 {
			t.Errorf("handler saw %d requests, want 2", n)
		}
	})
	t.Run("deadline passed", func(t *testing.T) {
		rec := &recorder{}
		f, err := New(rec, Options{Name: "sms", QueuePath: "/sms"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		resp, err := f.Invoke(ctx, payload)
		if err != nil || string(resp) != all {
			t.Errorf("Invoke = %s, %v; want %s", resp, err, all)
		}
		if n := len(rec.requests()); n != 0 {
			t.Errorf("handler saw %d requests, want none", n)
		}
	})
}

func TestClassify(t *testing.T) {
	tests := []struct {
		status int
		want   verdict
	}{
		{200, done}, {201, done}, {204, done}, {299, done},
		{408, retry}, {409, retry}, {425, retry}, {429, retry}, {500, retry}, {502, retry}, {503, retry}, {504, retry},
		{400, permanent}, {401, permanent}, {403, permanent}, {404, permanent}, {410, permanent}, {413, permanent},
		{422, permanent}, {302, permanent}, {100, permanent},
	}
	for _, tt := range tests {
		if got := classify(tt.status); got != tt.want {
			t.Errorf("classify(%d) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestReason(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"Code":"ERROR","Message":"PhoneNumbers is invalid","RequestId":"null"}`, "PhoneNumbers is invalid"},
		{`{"code":400,"msg":"bad"}`, "bad"},
		{`{"error":"nope"}`, "nope"},
		{"plain\ntext  reply", "plain text reply"},
		{strings.Repeat("x", 300), strings.Repeat("x", 200) + "..."},
		{"", ""},
	}
	for _, tt := range tests {
		if got := reason([]byte(tt.body)); got != tt.want {
			t.Errorf("reason(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

// One panicking invocation does not break the next.
func TestPanicThenNormal(t *testing.T) {
	f, err := New(&recorder{}, Options{Name: "sms"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ file, status string }{
		{"testdata/events/apigw-http-panic.json", `"statusCode":500`},
		{"testdata/events/apigw-http.json", `"statusCode":201`},
	} {
		payload, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := f.Invoke(context.Background(), payload)
		if err != nil || !strings.Contains(string(resp), tt.status) {
			t.Errorf("Invoke(%s) = %s, %v; want %s", tt.file, resp, err, tt.status)
		}
	}
}

// TestMNSBase64Bodies: a body an MNS client encoded in Base64 reaches the
// handler as the JSON object it encodes, from an MNS queue (EventBridge's
// CloudEvent) and topic (JSON and STREAM pushes); a body that is no such
// Base64 reaches it as it came, and SQS's and EventBridge's bodies are
// never decoded.
func TestMNSBase64Bodies(t *testing.T) {
	const req = `{"GroupID":"demo","PhoneNumbers":"13800138000"}`
	enc := base64.StdEncoding.EncodeToString([]byte(req))
	quoted := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	cloudEvent := func(body string) string {
		return `{"id":"ce-1","specversion":"1.0","type":"mns:Queue:SendMessage","data":{"messageId":"MSG-1","messageBody":` +
			quoted(body) + `}}`
	}
	for _, tt := range []struct {
		name, payload, want string
	}{
		{"MNS queue, Base64", cloudEvent(enc), req},
		{"MNS queue, Base64 with a line break", cloudEvent(enc[:20] + "\n" + enc[20:] + "\n"), req},
		{"MNS queue, raw", cloudEvent(req), req},
		{"MNS queue, Base64 of no object", cloudEvent(base64.StdEncoding.EncodeToString([]byte(`"text"`))),
			base64.StdEncoding.EncodeToString([]byte(`"text"`))},
		{"MNS queue, Base64 of a broken object", cloudEvent(base64.StdEncoding.EncodeToString([]byte(`{"GroupID":`))),
			base64.StdEncoding.EncodeToString([]byte(`{"GroupID":`))},
		{"MNS topic, JSON push of Base64", `{"TopicOwner":"1","TopicName":"notify-sms","MessageId":"M-1","Message":` +
			quoted(enc) + `}`, req},
		{"MNS topic, STREAM push of Base64", enc, req},
		{"SQS, Base64 kept", `{"Records":[{"messageId":"s-1","eventSource":"aws:sqs","body":` + quoted(enc) + `}]}`, enc},
		{"EventBridge custom event, Base64 kept", `{"id":"ce-2","specversion":"1.0","type":"custom","data":` +
			quoted(enc) + `}`, enc},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			f, err := New(rec, Options{Name: "sms", QueuePath: "/sms", Log: Logger(io.Discard, slog.LevelInfo)})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := invocationContext()
			defer cancel()
			if _, err := f.Invoke(ctx, []byte(tt.payload)); err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			reqs := rec.requests()
			if len(reqs) != 1 || reqs[0].Body != tt.want {
				t.Errorf("the handler got %+v; want one request with body %q", reqs, tt.want)
			}
		})
	}
}
