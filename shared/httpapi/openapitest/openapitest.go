// Package openapitest checks HTTP exchanges against an OpenAPI document,
// for tests: Handler wraps the handler under test, and every request it
// serves, and every reply, must be what the document describes. It keeps
// httpapi's document (httpapi.OpenAPI) in step with the handlers.
//
// Start with New, then wrap a handler with Checker.Handler.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Checker holds a loaded document and its router.
type Checker struct {
	Doc    *openapi3.T
	router routers.Router
}

// New loads and validates the OpenAPI document doc. Its servers are
// dropped, so that requests to any host find their routes.
//
// A document is loaded once per test binary run: every New of the same
// document returns the same Checker, which may check exchanges of tests
// running in parallel, and which its callers must not change. (Loading
// httpapi.OpenAPI took a fifth of the CPU time of tests that build a
// function per test.)
func New(doc []byte) (*Checker, error) {
	v, _ := loaded.LoadOrStore(string(doc), new(loading))
	l := v.(*loading)
	l.once.Do(func() { l.c, l.err = load(doc) })
	return l.c, l.err
}

// loaded holds a *loading for each document New was given.
var loaded sync.Map

// loading is the one load of a document.
type loading struct {
	once sync.Once
	c    *Checker
	err  error
}

func load(doc []byte) (*Checker, error) {
	loader := openapi3.NewLoader()
	d, err := loader.LoadFromData(doc)
	if err != nil {
		return nil, fmt.Errorf("openapitest: load the document: %w", err)
	}
	if err := d.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapitest: validate the document: %w", err)
	}
	routed := *d
	routed.Servers = nil
	r, err := gorillamux.NewRouter(&routed)
	if err != nil {
		return nil, fmt.Errorf("openapitest: route the document: %w", err)
	}
	return &Checker{Doc: d, router: r}, nil
}

// Handler returns h, checking each exchange it serves against the
// document and reporting every mismatch with t.Errorf:
//
//   - a reply must be one the document lists for its route and status,
//     its body valid against the listed schema; a path the document does
//     not list must be answered with components.responses.NoSuchRoute
//     (404), a listed path with another method with MethodNotAllowed (405)
//     or, where the path itself is refused first, NoSuchRoute;
//   - a request the document refuses must be refused by h too (a status of
//     400 or more, or a body with "success": false, the Alidayu routes'
//     business errors): a request h takes must be one the document allows.
//     A request h refused may be anything, so tests of malformed requests
//     need nothing special.
//
// The request is checked after h has served it, with the part of its body
// that h read, so that h reads the body as the test sends it (slowly, or
// more than it declares). HEAD is checked as GET. Requests that a queue
// delivers (notify.OriginFrom) are not the HTTP API and are not checked.
func (c *Checker) Handler(t testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, fromQueue := notify.OriginFrom(r.Context()); fromQueue {
			h.ServeHTTP(w, r)
			return
		}
		var read bytes.Buffer
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = teeBody{Reader: io.TeeReader(r.Body, &read), Closer: r.Body}
		}
		tw := &tee{ResponseWriter: w}
		h.ServeHTTP(tw, r)
		if err := c.Check(r, read.Bytes(), tw.status(), tw.Header(), tw.body.Bytes()); err != nil {
			t.Errorf("%s %s: the exchange does not match the OpenAPI document: %v", r.Method, r.URL.Path, err)
		}
	})
}

// Check checks one exchange: request r with body, answered with status,
// header and reply (see Handler).
func (c *Checker) Check(r *http.Request, body []byte, status int, header http.Header, reply []byte) error {
	ctx := context.Background()
	req := r.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	if req.Method == http.MethodHead {
		req.Method = http.MethodGet
	}
	route, pathParams, err := c.router.FindRoute(req)
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		return c.checkUnrouted(http.StatusNotFound, "NoSuchRoute", status, header, reply)
	case errors.Is(err, routers.ErrMethodNotAllowed) && status == http.StatusNotFound:
		// A path refused before its method is looked at (a callback
		// path with a wrong token) is no route whatever the method.
		return c.checkUnrouted(http.StatusNotFound, "NoSuchRoute", status, header, reply)
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return c.checkUnrouted(http.StatusMethodNotAllowed, "MethodNotAllowed", status, header, reply)
	case err != nil:
		return fmt.Errorf("find the route: %w", err)
	}
	if req.Header.Get("Content-Type") == "" && len(body) > 0 {
		// The handlers take a body without a Content-Type as JSON.
		req.Header.Set("Content-Type", "application/json")
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && !refused(status, reply) {
		return fmt.Errorf("the reply is %d, but the document refuses the request: %w", status, err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(reply)), Options: opts}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("reply %d %s: %w", status, truncate(reply), err)
	}
	return nil
}

// checkUnrouted checks the reply to a request the document has no
// operation for against the response components.responses[name].
func (c *Checker) checkUnrouted(want int, name string, status int, header http.Header, reply []byte) error {
	if status != want {
		return fmt.Errorf("no operation of the document takes the request, but the reply is %d, not %d: %s",
			status, want, truncate(reply))
	}
	ref := c.Doc.Components.Responses[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("the document has no components.responses.%s", name)
	}
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	media := ref.Value.Content.Get(mt)
	if media == nil {
		return fmt.Errorf("reply %d has Content-Type %q, which components.responses.%s does not list", status, mt, name)
	}
	var v any
	if err := json.Unmarshal(reply, &v); err != nil {
		return fmt.Errorf("reply %d is not JSON: %s", status, truncate(reply))
	}
	if err := media.Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		return fmt.Errorf("reply %d %s does not match components.responses.%s: %w", status, truncate(reply), name, err)
	}
	return nil
}

// refused reports whether a reply refuses its request.
func refused(status int, reply []byte) bool {
	if status >= 400 {
		return true
	}
	var r struct{ Success *bool }
	return json.Unmarshal(reply, &r) == nil && r.Success != nil && !*r.Success
}

func truncate(b []byte) string {
	const max = 300
	s := strings.TrimSpace(string(b))
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// teeBody is a request body that keeps a copy of what is read of it.
type teeBody struct {
	io.Reader
	io.Closer
}

// tee passes a reply through and keeps a copy of it. Unwrap lets
// http.ResponseController reach the writer underneath.
type tee struct {
	http.ResponseWriter
	code int
	body bytes.Buffer
}

func (w *tee) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *tee) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

func (w *tee) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *tee) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
