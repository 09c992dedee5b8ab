// Package faults is what the fake provider servers share about failing on
// purpose: the ways to fail (Fault), the queue of faults a test asks for
// (Queue), and playing a fault on a request. A fake keeps what is its own:
// the shape of its error answer, what it calls its faults, and the pages
// of the web server in front of it (Front).
package faults

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// kind is how a Fault fails.
type kind uint8

const (
	none           kind = iota
	refuse              // the service's own error answer
	page                // the error page of the web server in front
	notJSON             // a body that is not JSON
	empty               // a status without a body
	slow                // the normal answer, late
	drop                // close the connection without an answer
	acceptThenDrop      // do the work, then close without an answer
	acceptThenSlow      // do the work, then answer late
)

// Fault is a way for a fake to fail, as the real service or the network in
// front of it does; A is the fake's error answer. The zero Fault is no
// fault. A queued Fault applies to every following request until the
// queue is cleared, or to the next n with Times(n).
type Fault[A any] struct {
	kind   kind
	answer A             // refuse
	status int           // page, notJSON, empty
	delay  time.Duration // slow, acceptThenSlow
	name   string        // what String calls it
	times  int
}

// Refuse answers with the fake's error answer a; name describes the fault,
// as "business isv.AMOUNT_NOT_ENOUGH".
func Refuse[A any](a A, name string) Fault[A] {
	return Fault[A]{kind: refuse, answer: a, name: name}
}

// Page answers status with the error page of the web server in front of
// the service; name describes the fault, as "gateway 502".
func Page[A any](status int, name string) Fault[A] {
	return Fault[A]{kind: page, status: status, name: name}
}

// NotJSON answers status with a body that is not JSON, the one the web
// server in front gives; name describes the fault, as "not JSON".
func NotJSON[A any](status int, name string) Fault[A] {
	return Fault[A]{kind: notJSON, status: status, name: name}
}

// Empty answers status without a body, as a load balancer may.
func Empty[A any](status int) Fault[A] {
	return Fault[A]{kind: empty, status: status, name: "empty " + strconv.Itoa(status)}
}

// Slow gives the normal answer after d, or none if the client goes away
// first.
func Slow[A any](d time.Duration) Fault[A] {
	return Fault[A]{kind: slow, delay: d, name: "slow " + d.String()}
}

// Drop closes the connection without answering, having done nothing.
func Drop[A any]() Fault[A] { return Fault[A]{kind: drop, name: "drop"} }

// AcceptThenDrop does the work, then closes the connection without
// answering: the case where the client cannot know whether its message
// went out.
func AcceptThenDrop[A any]() Fault[A] {
	return Fault[A]{kind: acceptThenDrop, name: "accept then drop"}
}

// AcceptThenSlow does the work, then gives the normal answer after d, or
// none if the client goes away first.
func AcceptThenSlow[A any](d time.Duration) Fault[A] {
	return Fault[A]{kind: acceptThenSlow, delay: d, name: "accept then slow " + d.String()}
}

// Times returns f limited to the next n requests; n < 1 means every
// request until the queue is cleared.
func (f Fault[A]) Times(n int) Fault[A] {
	f.times = n
	return f
}

// String describes f, as "slow 1s ×2".
func (f Fault[A]) String() string {
	if f.kind == none {
		return "no fault"
	}
	if f.times > 0 {
		return f.name + " ×" + strconv.Itoa(f.times)
	}
	return f.name
}

// Front is the web server in front of a fake service, which answers in its
// place when a fault says so.
type Front interface {
	// Page writes status with the server's error page.
	Page(w http.ResponseWriter, status int)
	// NotJSON writes status with a body that is not JSON.
	NotJSON(w http.ResponseWriter, status int)
}

// Intercept plays the faults that answer before the service looks at the
// request (Drop, Page, NotJSON, Empty), and reports whether f is one.
func (f Fault[A]) Intercept(w http.ResponseWriter, front Front) bool {
	switch f.kind {
	case drop:
		hangUp(w)
	case page:
		front.Page(w, f.status)
	case notJSON:
		front.NotJSON(w, f.status)
	case empty:
		w.WriteHeader(f.status)
	default:
		return false
	}
	return true
}

// Wait plays Slow: it waits out the delay, and reports whether the answer
// is still to be given. It is not when the client goes away first, nor
// when done is closed first, which drops the connection.
func (f Fault[A]) Wait(w http.ResponseWriter, r *http.Request, done <-chan struct{}) bool {
	if f.kind != slow {
		return true
	}
	return wait(w, r, f.delay, done)
}

// Refusal returns the error answer of a fault made by Refuse.
func (f Fault[A]) Refusal() (a A, ok bool) {
	return f.answer, f.kind == refuse
}

// Accepted plays AcceptThenDrop and AcceptThenSlow on a request the
// service did the work for, and reports whether its answer is still to be
// written, as Wait does.
func (f Fault[A]) Accepted(w http.ResponseWriter, r *http.Request, done <-chan struct{}) bool {
	switch f.kind {
	case acceptThenDrop:
		hangUp(w)
		return false
	case acceptThenSlow:
		return wait(w, r, f.delay, done)
	}
	return true
}

// wait waits d, and reports whether the client is still there and done
// still open; when done closes first, it drops the connection.
func wait(w http.ResponseWriter, r *http.Request, d time.Duration, done <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return false
	case <-done:
		hangUp(w)
		return false
	case <-t.C:
		return true
	}
}

// hangUp closes the connection of w without an answer. Where the
// connection cannot be taken over (HTTP/2, a recorder), it aborts the
// handler, which resets the stream.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// WritePage writes status with the error page of an nginx-like web server:
// title heads the page, server signs it.
func WritePage(w http.ResponseWriter, status int, title, server string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" +
		title + "</h1></center>\r\n<hr><center>" + server + "</center>\r\n</body>\r\n</html>\r\n"))
}

// WriteText writes status with the plain text "success", as a server that
// is not the API may answer.
func WriteText(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("success\n"))
}

// Queue holds the faults to play, first first. A fault for n requests
// applies to the next n once those before it are used up; one for every
// request stays at the head until Clear. The zero Queue is empty and
// ready, and its methods are safe for concurrent use.
type Queue[A any] struct {
	mu sync.Mutex
	q  []queued[A]
}

type queued[A any] struct {
	f    Fault[A]
	left int // requests left; 0 for every one until Clear
}

// Push queues f; the zero Fault is not queued.
func (q *Queue[A]) Push(f Fault[A]) {
	if f.kind == none {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.q = append(q.q, queued[A]{f, f.times})
}

// Clear removes every queued fault.
func (q *Queue[A]) Clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.q = nil
}

// Next returns the fault to play on a request, and uses one of its
// requests up; the zero Fault when none is queued.
func (q *Queue[A]) Next() Fault[A] {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.q) == 0 {
		return Fault[A]{}
	}
	head := &q.q[0]
	f := head.f
	if head.left > 0 {
		head.left--
		if head.left == 0 {
			q.q = q.q[1:]
		}
	}
	return f
}
