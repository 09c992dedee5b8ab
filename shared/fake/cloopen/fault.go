package cloopen

import (
	"net/http"
	"strconv"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/internal/faults"
)

// Fault is a way for the fake to fail, as the real service or the network
// in front of it does. The zero Fault is no fault. A Fault applies to every
// following request until Heal, or to the next n with Times(n).
//
// Faults of the network and of the web server in front (Drop, NotJSON,
// HTTPError) strike before anything is checked; a Business error answers a
// request whose account, timestamp and sig checked out; Slow delays the
// normal answer; AcceptThenDrop drops the connection only where the
// request would have succeeded, after recording the send.
type Fault = faults.Fault[refusal]

// Business fails with the service's error code and message, HTTP 200, as
// Business("160038", "短信验证码发送过频繁").
func Business(code, msg string) Fault {
	return faults.Refuse(refusal{Code: code, Msg: msg}, "business "+code)
}

// HTTPError answers with HTTP status and the HTML page of the web server in
// front of the service (nginx), as a 502 or 503 of an overloaded gateway.
func HTTPError(status int) Fault { return faults.Page[refusal](status, "http "+strconv.Itoa(status)) }

// Slow gives the normal answer after d, or none if the client goes away or
// the server closes first.
func Slow(d time.Duration) Fault { return faults.Slow[refusal](d) }

// NotJSON answers HTTP 200 with a plain-text body.
func NotJSON() Fault { return faults.NotJSON[refusal](http.StatusOK, "not JSON") }

// Drop closes the connection without answering, having read the request
// and done nothing with it.
func Drop() Fault { return faults.Drop[refusal]() }

// AcceptThenDrop records the send as accepted, then closes the connection
// without answering: the case where the client cannot know whether its
// message went out.
func AcceptThenDrop() Fault { return faults.AcceptThenDrop[refusal]() }

// Fail queues f: it applies once the faults queued before it are used up.
func (s *Server) Fail(f Fault) { s.faults.Push(f) }

// Heal removes every queued fault: the following requests are answered
// normally.
func (s *Server) Heal() { s.faults.Clear() }

// nginx is the web server in front of the service.
type nginx struct{}

// Page writes nginx's error page, titled "Bad Gateway".
func (nginx) Page(w http.ResponseWriter, status int) {
	title := http.StatusText(status)
	if title == "" {
		title = "Error"
	}
	faults.WritePage(w, status, title, "nginx")
}

// NotJSON writes a plain-text body.
func (nginx) NotJSON(w http.ResponseWriter, status int) { faults.WriteText(w, status) }
