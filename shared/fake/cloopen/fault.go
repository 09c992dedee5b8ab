package cloopen

import (
	"strconv"
	"time"
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
type Fault struct {
	kind    faultKind
	refusal refusal
	status  int
	delay   time.Duration
	times   int
}

type faultKind uint8

const (
	noFault        faultKind = iota
	business                 // an error answer: HTTP 200, statusCode and statusMsg
	httpError                // an HTTP error status with the web server's HTML page
	slowReply                // the normal answer, late
	notJSON                  // HTTP 200 with a body that is not JSON
	dropConn                 // close the connection without an answer
	acceptThenDrop           // record the send, then close without an answer
)

// Business fails with the service's error code and message, HTTP 200, as
// Business("160038", "短信验证码发送过频繁").
func Business(code, msg string) Fault {
	return Fault{kind: business, refusal: refusal{Code: code, Msg: msg}}
}

// HTTPError answers with HTTP status and the HTML page of the web server in
// front of the service (nginx), as a 502 or 503 of an overloaded gateway.
func HTTPError(status int) Fault { return Fault{kind: httpError, status: status} }

// Slow gives the normal answer after d, or none if the client goes away or
// the server closes first.
func Slow(d time.Duration) Fault { return Fault{kind: slowReply, delay: d} }

// NotJSON answers HTTP 200 with a plain-text body.
func NotJSON() Fault { return Fault{kind: notJSON} }

// Drop closes the connection without answering, having read the request
// and done nothing with it.
func Drop() Fault { return Fault{kind: dropConn} }

// AcceptThenDrop records the send as accepted, then closes the connection
// without answering: the case where the client cannot know whether its
// message went out.
func AcceptThenDrop() Fault { return Fault{kind: acceptThenDrop} }

// Times returns f limited to the next n requests; n < 1 means every
// request until Heal.
func (f Fault) Times(n int) Fault {
	f.times = n
	return f
}

// String describes f, as "business 160038 ×1".
func (f Fault) String() string {
	var s string
	switch f.kind {
	case noFault:
		return "no fault"
	case business:
		s = "business " + f.refusal.Code
	case httpError:
		s = "http " + strconv.Itoa(f.status)
	case slowReply:
		s = "slow " + f.delay.String()
	case notJSON:
		s = "not JSON"
	case dropConn:
		s = "drop"
	case acceptThenDrop:
		s = "accept then drop"
	}
	if f.times > 0 {
		s += " ×" + strconv.Itoa(f.times)
	}
	return s
}

// Fail queues f: it applies once the faults queued before it are used up.
func (s *Server) Fail(f Fault) {
	if f.kind != noFault {
		s.faults.Push(f, f.times)
	}
}

// Heal removes every queued fault: the following requests are answered
// normally.
func (s *Server) Heal() { s.faults.Clear() }

// nextFault returns the fault to play on a request and uses it up; the
// zero Fault when none is queued.
func (s *Server) nextFault() Fault {
	f, _ := s.faults.Next()
	return f
}
