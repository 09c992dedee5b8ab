// Package runtimeapi emulates the Runtime APIs through which AWS Lambda
// (provided.al2023, aws-lambda-go) and Aliyun Function Compute 3 (the go1
// runtime, fc-runtime-go-sdk) hand events to a function's process, so that
// tests can run a real function binary as a child process and invoke it.
//
// The two APIs differ in little: the path prefix, the names of the headers
// that come with an event, and the status a runtime must get for its reply
// (Lambda 202, FC 200; each SDK gives up on any other). One Emulator type
// serves both.
//
// An Emulator never deadlocks on Close: a runtime blocked in GET
// .../invocation/next is released when the Emulator closes, so Close may
// run before or after the child process is killed.
package runtimeapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// flavor is what sets one cloud's Runtime API apart.
type flavor struct {
	initError bool   // the API takes POST .../init/error (Lambda's does)
	env       string // the variable the runtime reads the address from
	prefix    string // the path prefix of the API
	okStatus  int    // the status of a successful /response or /error
	headers   func(id string, deadline time.Time, timeout time.Duration) http.Header
}

var lambdaFlavor = flavor{
	initError: true,
	env:       "AWS_LAMBDA_RUNTIME_API",
	prefix:    "/2018-06-01/runtime",
	okStatus:  http.StatusAccepted,
	headers: func(id string, deadline time.Time, _ time.Duration) http.Header {
		return http.Header{
			"Lambda-Runtime-Aws-Request-Id":       {id},
			"Lambda-Runtime-Deadline-Ms":          {strconv.FormatInt(deadline.UnixMilli(), 10)},
			"Lambda-Runtime-Invoked-Function-Arn": {"arn:aws:lambda:us-east-1:123456789012:function:emulated"},
			"Lambda-Runtime-Trace-Id":             {"Root=1-" + hexID(4) + "-" + hexID(12) + ";Parent=" + hexID(8) + ";Sampled=0"},
			"Content-Type":                        {"application/json"},
		}
	},
}

var fcFlavor = flavor{
	env:      "FC_RUNTIME_API",
	prefix:   "/2020-11-11/runtime",
	okStatus: http.StatusOK,
	headers: func(id string, deadline time.Time, timeout time.Duration) http.Header {
		return http.Header{
			"X-Fc-Request-Id":        {id},
			"X-Fc-Function-Deadline": {strconv.FormatInt(deadline.UnixMilli(), 10)},
			"X-Fc-Function-Timeout":  {strconv.Itoa(int((timeout + time.Second - 1) / time.Second))},
			"X-Fc-Function-Name":     {"emulated"},
			"X-Fc-Function-Handler":  {"main"},
			"X-Fc-Function-Memory":   {"128"},
			"X-Fc-Region":            {"cn-hangzhou"},
			"X-Fc-Account-Id":        {"1234567890123456"},
			"Content-Type":           {"application/octet-stream"},
		}
	},
}

// Emulator is a Runtime API server on 127.0.0.1.
type Emulator struct {
	fl     flavor
	srv    *httptest.Server
	queue  chan *pending // events waiting for a runtime's /next
	closed chan struct{}
	once   sync.Once

	mu         sync.Mutex
	inflight   map[string]*pending // handed out, not yet answered
	initErrors []InitError

	waiting atomic.Int32 // runtimes blocked in GET next
}

type pending struct {
	id       string
	payload  []byte
	header   http.Header
	deadline time.Time
	timeout  time.Duration
	done     chan reply // buffered: the runtime's answer
}

type reply struct {
	kind string // "response" or "error"
	body []byte
}

// NewLambda starts an emulator of the AWS Lambda Runtime API
// (/2018-06-01/runtime; replies get 202).
func NewLambda() *Emulator { return start(lambdaFlavor) }

// NewFC starts an emulator of the Aliyun FC 3 Runtime API
// (/2020-11-11/runtime; replies get 200).
func NewFC() *Emulator { return start(fcFlavor) }

func start(fl flavor) *Emulator {
	e := &Emulator{fl: fl, queue: make(chan *pending), closed: make(chan struct{}), inflight: map[string]*pending{}}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serveHTTP))
	return e
}

// Addr returns the emulator's host:port, the value of the environment
// variable that Env names.
func (e *Emulator) Addr() string { return strings.TrimPrefix(e.srv.URL, "http://") }

// Env returns the environment entry that points a function's runtime at the
// emulator: "AWS_LAMBDA_RUNTIME_API=127.0.0.1:port" or "FC_RUNTIME_API=...".
func (e *Emulator) Env() string { return e.fl.env + "=" + e.Addr() }

// Close releases any runtime waiting for an event, fails pending Invokes and
// stops the server.
func (e *Emulator) Close() {
	e.once.Do(func() { close(e.closed) })
	e.srv.Close()
}

// ErrClosed is returned by an Invoke on a closed Emulator.
var ErrClosed = errors.New("runtimeapi: emulator closed")

// FunctionError is the body the function posted to .../error: the
// invocation failed.
type FunctionError struct {
	RequestID string
	Body      []byte // {"errorMessage":...,"errorType":...}
	Message   string // errorMessage
	Type      string // errorType
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("runtimeapi: invocation %s failed: %s: %s", e.RequestID, e.Type, e.Message)
}

// Invocation is one event to hand to the function.
type Invocation struct {
	Payload   []byte
	RequestID string        // "" makes one up
	Timeout   time.Duration // the function's timeout, from which the deadline follows; 0 is 30s
	Header    http.Header   // more headers for the event, such as X-Fc-Retry-Count
}

// Invoke hands payload to the next runtime that asks for an event and
// returns the function's response body. When the function reports an
// error, the error is a *FunctionError holding the error body.
func (e *Emulator) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return e.InvokeWith(ctx, Invocation{Payload: payload})
}

// InvokeWith is Invoke with the request id, timeout and headers chosen.
func (e *Emulator) InvokeWith(ctx context.Context, inv Invocation) ([]byte, error) {
	p := &pending{id: inv.RequestID, payload: inv.Payload, timeout: inv.Timeout, done: make(chan reply, 1)}
	if p.id == "" {
		p.id = hexID(4) + "-" + hexID(2) + "-" + hexID(2) + "-" + hexID(2) + "-" + hexID(6)
	}
	if p.timeout <= 0 {
		p.timeout = 30 * time.Second
	}
	p.header = e.fl.headers(p.id, time.Now().Add(p.timeout), p.timeout)
	for k, vs := range inv.Header {
		p.header[http.CanonicalHeaderKey(k)] = vs
	}
	select {
	case e.queue <- p:
	case <-ctx.Done():
		return nil, fmt.Errorf("runtimeapi: invoke %s: no runtime asked for it: %w", p.id, ctx.Err())
	case <-e.closed:
		return nil, ErrClosed
	}
	select {
	case r := <-p.done:
		if r.kind == "error" {
			fe := &FunctionError{RequestID: p.id, Body: r.body}
			var b struct{ ErrorMessage, ErrorType string }
			if json.Unmarshal(r.body, &b) == nil {
				fe.Message, fe.Type = b.ErrorMessage, b.ErrorType
			}
			return nil, fe
		}
		return r.body, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("runtimeapi: invoke %s: no reply: %w", p.id, ctx.Err())
	case <-e.closed:
		return nil, ErrClosed
	}
}

func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, e.fl.prefix)
	switch {
	case !ok:
		apiError(w, http.StatusNotFound, "NotFound", "no such path")
	case r.Method == http.MethodGet && path == "/invocation/next":
		e.next(w, r)
	case r.Method == http.MethodPost && path == "/init/error" && e.fl.initError:
		e.initError(w, r)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "/invocation/"):
		id, kind, _ := strings.Cut(strings.TrimPrefix(path, "/invocation/"), "/")
		if kind != "response" && kind != "error" {
			apiError(w, http.StatusNotFound, "NotFound", "no such path")
			return
		}
		e.answer(w, r, id, kind)
	default:
		apiError(w, http.StatusNotFound, "NotFound", "no such path")
	}
}

// next blocks until an event is queued, the runtime goes away, or the
// emulator closes.
func (e *Emulator) next(w http.ResponseWriter, r *http.Request) {
	e.waiting.Add(1)
	defer e.waiting.Add(-1)
	select {
	case p := <-e.queue:
		e.mu.Lock()
		e.inflight[p.id] = p
		e.mu.Unlock()
		for k, vs := range p.header {
			w.Header()[k] = vs
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(p.payload)
	case <-r.Context().Done():
	case <-e.closed:
		apiError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "the emulator is closing")
	}
}

// InitError is what a runtime posted to /runtime/init/error: it could not
// start (AWS Lambda's Runtime API; the FC 3 emulator does not take it, as
// FC's Go SDK makes no such call).
type InitError struct {
	Type    string // the Lambda-Runtime-Function-Error-Type header
	Body    []byte // {"errorMessage":...,"errorType":...}
	Message string // errorMessage
}

// InitErrors returns what runtimes posted to /runtime/init/error, in order.
func (e *Emulator) InitErrors() []InitError {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]InitError(nil), e.initErrors...)
}

// initError takes a runtime's report that it cannot start.
func (e *Emulator) initError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", "read body: "+err.Error())
		return
	}
	var v struct {
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &v)
	e.mu.Lock()
	e.initErrors = append(e.initErrors, InitError{Type: r.Header.Get("Lambda-Runtime-Function-Error-Type"), Body: body,
		Message: v.ErrorMessage})
	e.mu.Unlock()
	w.WriteHeader(e.fl.okStatus)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// answer takes a runtime's response or error for invocation id.
func (e *Emulator) answer(w http.ResponseWriter, r *http.Request, id, kind string) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", "read body: "+err.Error())
		return
	}
	e.mu.Lock()
	p := e.inflight[id]
	delete(e.inflight, id)
	e.mu.Unlock()
	if p == nil {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in flight with this id")
		return
	}
	p.done <- reply{kind: kind, body: body}
	w.WriteHeader(e.fl.okStatus)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{msg, typ})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// hexID returns n random bytes as hex.
func hexID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
