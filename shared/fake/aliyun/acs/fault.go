package acs

import (
	"net/http"
	"strconv"
	"time"
)

// Fault is a way for the fake to fail, as the real service or the network
// in front of it does. The zero Fault is no fault. A Fault applies to every
// following request until Heal, or to the next n with Times(n).
//
// Faults of the network (Drop, NotJSON, Empty) strike before anything is
// checked; Business and Gateway errors answer requests whose signature
// checked out; Slow delays the normal answer; AcceptThenDrop drops the
// connection, and AcceptThenSlow delays the answer, only where the request
// would have succeeded.
type Fault struct {
	kind  faultKind
	err   Error
	delay time.Duration
	times int
}

type faultKind uint8

const (
	noFault        faultKind = iota
	answerError              // a business or gateway error answer
	slowReply                // the normal answer, late
	notJSON                  // a body that is not JSON
	emptyBody                // a status without a body
	dropConn                 // close the connection without an answer
	acceptThenDrop           // do the work, then close without an answer
	acceptThenSlow           // do the work, then answer late
)

// Business fails with the business error code and message: HTTP 200, as
// Aliyun answers isv.* and isp.* errors.
func Business(code, message string) Fault {
	return Fault{kind: answerError, err: Error{Status: http.StatusOK, Code: code, Message: message}}
}

// Gateway fails with a gateway error: a 4xx or 5xx status with the gateway's
// body, such as Gateway(400, "Throttling.User", "Request was denied due to
// user flow control.").
func Gateway(status int, code, message string) Fault {
	return Fault{kind: answerError, err: Error{Status: status, Code: code, Message: message}}
}

// Unavailable fails with 503 ServiceUnavailable.
func Unavailable() Fault {
	return Gateway(http.StatusServiceUnavailable, "ServiceUnavailable",
		"The request has failed due to a temporary failure of the server.")
}

// Slow gives the normal answer after d, or none if the client goes away
// first.
func Slow(d time.Duration) Fault { return Fault{kind: slowReply, delay: d} }

// NotJSON answers with a body that is not JSON: for a status of 400 or more
// the HTML page a proxy sends ("502 Bad Gateway"); for 200, plain text.
func NotJSON(status int) Fault { return Fault{kind: notJSON, err: Error{Status: status}} }

// Empty answers with status and no body, as a load balancer may.
func Empty(status int) Fault { return Fault{kind: emptyBody, err: Error{Status: status}} }

// Drop closes the connection without answering, before doing anything.
func Drop() Fault { return Fault{kind: dropConn} }

// AcceptThenDrop does the work (a send is recorded as accepted), then closes
// the connection without answering: the case where the client cannot know
// whether its message went out.
func AcceptThenDrop() Fault { return Fault{kind: acceptThenDrop} }

// AcceptThenSlow does the work (a send is recorded as accepted), then gives
// the normal answer after d, or none if the client goes away first: a
// provider whose receipt can overtake its answer.
func AcceptThenSlow(d time.Duration) Fault { return Fault{kind: acceptThenSlow, delay: d} }

// Times returns f limited to the next n requests; n < 1 means every
// request until Heal.
func (f Fault) Times(n int) Fault {
	f.times = n
	return f
}

// String describes f, as "gateway 400 Throttling.User".
func (f Fault) String() string {
	var s string
	switch f.kind {
	case noFault:
		return "no fault"
	case answerError:
		s = "gateway " + strconv.Itoa(f.err.Status) + " " + f.err.Code
		if f.err.Status == http.StatusOK {
			s = "business " + f.err.Code
		}
	case slowReply:
		s = "slow " + f.delay.String()
	case notJSON:
		s = "not JSON " + strconv.Itoa(f.err.Status)
	case emptyBody:
		s = "empty " + strconv.Itoa(f.err.Status)
	case dropConn:
		s = "drop"
	case acceptThenDrop:
		s = "accept then drop"
	case acceptThenSlow:
		s = "accept then slow " + f.delay.String()
	}
	if f.times > 0 {
		s += " ×" + strconv.Itoa(f.times)
	}
	return s
}

// Fail queues f: it applies once the faults queued before it are used up.
func (s *Service) Fail(f Fault) {
	if f.kind != noFault {
		s.faults.Push(f, f.times)
	}
}

// Heal removes every queued fault: the following requests are answered
// normally.
func (s *Service) Heal() { s.faults.Clear() }

// nextFault returns the fault to play on a request and uses it up; the
// zero Fault when none is queued.
func (s *Service) nextFault() Fault {
	f, _ := s.faults.Next()
	return f
}

// writeNotJSON writes the body of a NotJSON fault.
func writeNotJSON(w http.ResponseWriter, status int) {
	if status < http.StatusBadRequest {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("success\n"))
		return
	}
	line := strconv.Itoa(status) + " " + http.StatusText(status)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<html>\r\n<head><title>" + line + "</title></head>\r\n<body>\r\n<center><h1>" +
		line + "</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n"))
}
