package acs

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
// Faults of the network (Drop, NotJSON, Empty) strike before anything is
// checked; Business and Gateway errors answer requests whose signature
// checked out; Slow delays the normal answer; AcceptThenDrop drops the
// connection, and AcceptThenSlow delays the answer, only where the request
// would have succeeded.
type Fault = faults.Fault[Error]

// Business fails with the business error code and message: HTTP 200, as
// Aliyun answers isv.* and isp.* errors.
func Business(code, message string) Fault {
	return refuse(Error{Status: http.StatusOK, Code: code, Message: message})
}

// Gateway fails with a gateway error: a 4xx or 5xx status with the gateway's
// body, such as Gateway(400, "Throttling.User", "Request was denied due to
// user flow control.").
func Gateway(status int, code, message string) Fault {
	return refuse(Error{Status: status, Code: code, Message: message})
}

// refuse answers with e, named as a business or a gateway error.
func refuse(e Error) Fault {
	if e.Status == http.StatusOK {
		return faults.Refuse(e, "business "+e.Code)
	}
	return faults.Refuse(e, "gateway "+strconv.Itoa(e.Status)+" "+e.Code)
}

// Unavailable fails with 503 ServiceUnavailable.
func Unavailable() Fault {
	return Gateway(http.StatusServiceUnavailable, "ServiceUnavailable",
		"The request has failed due to a temporary failure of the server.")
}

// Slow gives the normal answer after d, or none if the client goes away
// first.
func Slow(d time.Duration) Fault { return faults.Slow[Error](d) }

// NotJSON answers with a body that is not JSON: for a status of 400 or more
// the HTML page a proxy sends ("502 Bad Gateway"); for 200, plain text.
func NotJSON(status int) Fault {
	return faults.NotJSON[Error](status, "not JSON "+strconv.Itoa(status))
}

// Empty answers with status and no body, as a load balancer may.
func Empty(status int) Fault { return faults.Empty[Error](status) }

// Drop closes the connection without answering, before doing anything.
func Drop() Fault { return faults.Drop[Error]() }

// AcceptThenDrop does the work (a send is recorded as accepted), then closes
// the connection without answering: the case where the client cannot know
// whether its message went out.
func AcceptThenDrop() Fault { return faults.AcceptThenDrop[Error]() }

// AcceptThenSlow does the work (a send is recorded as accepted), then gives
// the normal answer after d, or none if the client goes away first: a
// provider whose report can overtake its answer.
func AcceptThenSlow(d time.Duration) Fault { return faults.AcceptThenSlow[Error](d) }

// Fail queues f: it applies once the faults queued before it are used up.
func (s *Service) Fail(f Fault) { s.faults.Push(f) }

// Heal removes every queued fault: the following requests are answered
// normally.
func (s *Service) Heal() { s.faults.Clear() }

// tengine is the web server in front of the gateway.
type tengine struct{}

// Page writes Tengine's error page, titled "502 Bad Gateway".
func (tengine) Page(w http.ResponseWriter, status int) {
	faults.WritePage(w, status, strconv.Itoa(status)+" "+http.StatusText(status), "Tengine")
}

// NotJSON writes the body of a NotJSON fault: the error page for a status
// of 400 or more, plain text below.
func (t tengine) NotJSON(w http.ResponseWriter, status int) {
	if status < http.StatusBadRequest {
		faults.WriteText(w, status)
		return
	}
	t.Page(w, status)
}
