package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Function serves one http.Handler to every trigger: it turns an event into
// requests, lets the handler answer them, and turns the answers into the
// event's response. Start makes one; New is for running events in-process.
type Function struct {
	h     http.Handler
	name  string
	queue *url.URL // nil: no queue trigger
	log   *slog.Logger
	ready func(context.Context) error // nil: always ready
	keys  func(notify.AccessKeys)     // nil: an invocation's credentials are not wanted
}

// New returns the Function that serves h as o describes; o.Log nil discards
// the platform's own log lines. Start calls it.
func New(h http.Handler, o Options) (*Function, error) {
	if h == nil {
		return nil, errors.New("platform: new function: the handler is nil")
	}
	f := &Function{h: h, name: o.Name, log: o.Log, ready: o.Ready, keys: o.AccessKeys}
	if f.log == nil {
		f.log = Logger(io.Discard, slog.LevelInfo)
	} else if _, ok := f.log.Handler().(logHandler); !ok {
		f.log = slog.New(LogHandler(f.log.Handler()))
	}
	if o.QueuePath != "" {
		u, err := url.ParseRequestURI(o.QueuePath)
		if err != nil || !strings.HasPrefix(o.QueuePath, "/") {
			return nil, fmt.Errorf("platform: new function %s: queue path %q is not an absolute path", o.Name, o.QueuePath)
		}
		f.queue = u
	}
	return f, nil
}

// host says who invokes: it decides whether a JSON object that is no known
// event may be an MNS topic message in STREAM format.
type host uint8

const (
	anyHost host = iota
	onLambda
	onFC
)

// invocation is what the runtime tells about one invoke.
type invocation struct {
	host      host
	requestID string
	attempt   int // FC: 1 + x-fc-retry-count; 0 when unknown
}

// Invoke handles one event payload, as a runtime would hand it over, and
// returns the JSON response for the runtime: the event's HTTP response
// shape, an SQS batch response, or null. A timer event calls the handler's
// Tick (see Ticker). The request id is taken from ctx (see WithRequestID),
// or made up. A JSON object that is no known event is taken for an MNS
// topic message in STREAM format, as on FC. An error fails the invocation:
// the platform then retries queue events.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f.invoke(ctx, payload, invocation{requestID: RequestID(ctx)})
}

func (f *Function) invoke(ctx context.Context, payload []byte, inv invocation) ([]byte, error) {
	if inv.requestID == "" {
		inv.requestID = newRequestID()
	}
	ctx = WithRequestID(ctx, inv.requestID)
	k, err := Detect(payload)
	if err == nil && k == MNSTopicStream && (inv.host == onLambda || f.queue == nil) {
		// Only FC sends raw message bodies, and only to a queue-triggered function.
		var m map[string]json.RawMessage
		_ = json.Unmarshal(payload, &m)
		err = unrecognised(m)
	}
	var reply any
	switch {
	case err != nil:
	case k == HTTPAPI, k == RESTAPI, k == FunctionURL, k == FCHTTP:
		reply, err = f.serveHTTPEvent(ctx, k, payload)
	case k == Timer:
		reply, err = f.tick(ctx)
	default:
		reply, err = f.serveQueueEvent(ctx, k, payload, inv)
	}
	if err != nil {
		f.log.ErrorContext(ctx, "invocation failed", "function", f.name, "err", err)
		return nil, err
	}
	return json.Marshal(reply)
}

// serveHTTPEvent serves the request an HTTP event carries.
func (f *Function) serveHTTPEvent(ctx context.Context, k Kind, payload []byte) (any, error) {
	in, err := decodeHTTP(k, payload)
	if err != nil {
		return nil, fmt.Errorf("platform: decode %s event: %w", k, err)
	}
	r, err := in.request(ctx)
	if bad, ok := err.(*badRequest); ok {
		f.log.WarnContext(ctx, "request refused before the handler", "function", f.name, "event", string(k),
			"status", bad.status, "reason", bad.reason, "err", err)
		return encodeHTTP(k, bad.reply(RequestID(ctx))), nil
	}
	if err != nil {
		return nil, fmt.Errorf("platform: %s event: %w", k, err)
	}
	return encodeHTTP(k, f.serve(r)), nil
}

// replyReserve is what a queue event's invocation keeps of its time for
// its reply: the log lines of the messages cut short, and the reply's
// POST to the runtime, which takes a few milliseconds.
const replyReserve = 100 * time.Millisecond

// maxParallel bounds the messages of one queue event that run at once: the
// SQS batches the templates ask for hold 10.
const maxParallel = 10

// serveQueueEvent replays each message of a queue or topic event as
// POST {QueuePath} and reports the outcome in the trigger's terms: SQS gets
// the ids of the messages to retry; the others get an error when any
// message should be retried, for they have no partial batch response.
func (f *Function) serveQueueEvent(ctx context.Context, k Kind, payload []byte, inv invocation) (any, error) {
	if f.queue == nil {
		return nil, fmt.Errorf("platform: function %s has no queue trigger, but a %s event arrived", f.name, k)
	}
	ms, err := decodeQueue(k, payload)
	if err != nil {
		return nil, fmt.Errorf("platform: decode %s event: %w", k, err)
	}
	// The messages' work ends replyReserve before the invocation's
	// deadline, so that the reply gets to the runtime in time: one after
	// the deadline is lost (Lambda's "Task timed out"), and with it SQS's
	// batchItemFailures, so that the whole batch comes back.
	if d, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-replyReserve))
		defer cancel()
	}
	// The messages run at once, up to maxParallel of them. One after
	// another, a slow provider left those at the back of a batch untried
	// at the deadline, each return using up one of the receives before
	// the dead-letter queue.
	statuses, verdicts := make([]int, len(ms)), make([]verdict, len(ms))
	slots := make(chan struct{}, maxParallel)
	var wg sync.WaitGroup
	for i, m := range ms {
		if m.attempt == 0 {
			m.attempt = inv.attempt
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			statuses[i], verdicts[i] = f.deliver(ctx, m)
		})
	}
	wg.Wait()
	var failed []string // "id (status)" of the messages to retry
	sqsReply := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for i, m := range ms {
		if verdicts[i] == retry {
			failed = append(failed, fmt.Sprintf("%s (%d)", m.id, statuses[i]))
			sqsReply.BatchItemFailures = append(sqsReply.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.id})
		}
	}
	switch {
	case k == SQS:
		return sqsReply, nil
	case len(failed) > 0:
		return nil, fmt.Errorf("platform: %s event: %d of %d messages should be retried: %s",
			k, len(failed), len(ms), strings.Join(failed, ", "))
	}
	return nil, nil
}

// deliver replays one message through the handler, logs what became of it
// and returns the handler's status (0 when the handler was not called).
func (f *Function) deliver(ctx context.Context, m message) (int, verdict) {
	log := f.log.With("function", f.name, "source", m.source, "message_id", m.id, "attempt", m.attempt)
	if err := ctx.Err(); err != nil {
		log.WarnContext(ctx, "queue message not delivered; it will be retried", "err", err)
		return 0, retry
	}
	ctx = notify.WithOrigin(ctx, notify.Origin{Source: m.source, MessageID: m.id, Attempt: m.attempt})
	u := *f.queue
	r := &http.Request{
		Method:        http.MethodPost,
		URL:           &u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(m.body)),
		ContentLength: int64(len(m.body)),
		RequestURI:    u.RequestURI(),
	}
	out := f.serve(r.WithContext(ctx))
	v := classify(out.status)
	switch v {
	case done:
		log.InfoContext(ctx, "queue message done", "status", out.status)
	case retry:
		log.WarnContext(ctx, "queue message failed; it will be retried", "status", out.status, "reason", reason(out.body))
	default:
		log.ErrorContext(ctx, "queue message refused for good; it is dropped", "status", out.status, "reason", reason(out.body))
	}
	return out.status, v
}

// serve runs the handler on r with an in-memory ResponseWriter. A panic in
// the handler becomes a 500 reply, so that one bad request fails alone and
// the process lives on to serve the next.
func (f *Function) serve(r *http.Request) (out httpOutput) {
	w := &responseWriter{header: http.Header{}}
	defer func() {
		if p := recover(); p != nil {
			f.logPanic(r.Context(), p)
			out = panicReply(RequestID(r.Context()))
		}
	}()
	f.h.ServeHTTP(w, r)
	return w.output()
}

func (f *Function) logPanic(ctx context.Context, p any) {
	f.log.ErrorContext(ctx, "handler panicked", "function", f.name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
}

// panicReply is the reply to a request whose handler panicked.
func panicReply(requestID string) httpOutput {
	body, _ := json.Marshal(struct {
		Code      string `json:"Code"`
		Message   string `json:"Message"`
		RequestID string `json:"RequestId"`
	}{"ERROR", "internal error", requestID})
	return httpOutput{
		status: http.StatusInternalServerError,
		header: http.Header{"Content-Type": {"application/json"}},
		body:   body,
	}
}

// responseWriter is an in-memory http.ResponseWriter. Like net/http's, it
// keeps the headers as they were when the status was written, and sniffs a
// Content-Type when the handler set none.
type responseWriter struct {
	header http.Header
	sent   http.Header // header at WriteHeader time
	status int
	body   bytes.Buffer
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("platform: invalid WriteHeader code %d", code))
	}
	if w.status != 0 || code < 200 {
		return // a second call, or an informational status
	}
	w.status = code
	w.sent = w.header.Clone()
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.body.Write(p)
}

func (w *responseWriter) output() httpOutput {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	h, body := w.sent, w.body.Bytes()
	if _, ok := h["Content-Type"]; !ok && len(body) > 0 {
		h.Set("Content-Type", http.DetectContentType(body))
	}
	return httpOutput{status: w.status, header: h, body: body}
}
