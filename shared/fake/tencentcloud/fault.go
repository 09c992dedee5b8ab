package tencentcloud

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is a way for the fake to fail, as the real service or the network
// in front of it does. The zero Fault is no fault. A Fault applies to every
// following request until Heal, or to the next n with Times(n).
//
// Every fault lets the request's body arrive first. Faults of the network
// (Drop, Gateway, NotJSON) then strike before anything is checked;
// APIError answers requests whose signature checked out; NumberError
// refuses numbers of a send that is otherwise accepted; Slow delays the
// normal answer; AcceptThenDrop drops the connection only where the
// request would have succeeded.
type Fault struct {
	kind    faultKind
	code    string
	message string
	numbers []string // NumberError: the numbers refused, all when empty
	status  int      // Gateway
	delay   time.Duration
	times   int
}

type faultKind uint8

const (
	noFault        faultKind = iota
	apiError                 // a top-level Response.Error
	numberError              // a Code other than Ok for some numbers
	gateway                  // a proxy's HTML error page
	slowReply                // the normal answer, late
	notJSON                  // HTTP 200 with a body that is not JSON
	dropConn                 // close the connection without an answer
	acceptThenDrop           // do the work, then close without an answer
)

// APIError refuses the whole request with a top-level error, as
// APIError("LimitExceeded.AppDailyLimit", "...") or
// APIError("InternalError.Timeout", "..."): HTTP 200 with
// {"Response":{"Error":{"Code","Message"},"RequestId"}}.
func APIError(code, message string) Fault {
	return Fault{kind: apiError, code: code, message: message}
}

// NumberError refuses the given numbers of an accepted send with code and
// message in SendStatusSet; the other numbers are sent. Numbers are
// compared in E.164 (13800138000 is +8613800138000); none means every
// number.
func NumberError(code, message string, numbers ...string) Fault {
	canon := make([]string, len(numbers))
	for i, n := range numbers {
		canon[i] = n
		if c, ok := canonical(n); ok {
			canon[i] = c
		}
	}
	return Fault{kind: numberError, code: code, message: message, numbers: canon}
}

// Gateway answers with status (such as 502) and the HTML page of a proxy
// in front of the service; 429 comes with "Retry-After: 1".
func Gateway(status int) Fault { return Fault{kind: gateway, status: status} }

// Slow gives the normal answer after d, or none if the client goes away
// first.
func Slow(d time.Duration) Fault { return Fault{kind: slowReply, delay: d} }

// NotJSON answers HTTP 200 with an HTML page, as a captive portal or a
// misrouted proxy may.
func NotJSON() Fault { return Fault{kind: notJSON} }

// Drop closes the connection without answering, having read the request
// and done nothing.
func Drop() Fault { return Fault{kind: dropConn} }

// AcceptThenDrop does the work (a send is recorded as accepted), then
// closes the connection without answering: the case where the client
// cannot know whether its message went out.
func AcceptThenDrop() Fault { return Fault{kind: acceptThenDrop} }

// Times returns f limited to the next n requests; n < 1 means every
// request until Heal.
func (f Fault) Times(n int) Fault {
	f.times = n
	return f
}

// String describes f, as "number error LimitExceeded.PhoneNumberDailyLimit ×1".
func (f Fault) String() string {
	var s string
	switch f.kind {
	case noFault:
		return "no fault"
	case apiError:
		s = "api error " + f.code
	case numberError:
		s = "number error " + f.code
		if len(f.numbers) > 0 {
			s += " for " + strings.Join(f.numbers, ",")
		}
	case gateway:
		s = "gateway " + strconv.Itoa(f.status)
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

// refuses reports whether a NumberError f refuses number e (E.164).
func (f Fault) refuses(e string) bool {
	if f.kind != numberError {
		return false
	}
	if len(f.numbers) == 0 {
		return true
	}
	for _, n := range f.numbers {
		if n == e {
			return true
		}
	}
	return false
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

// writeHTML writes the error page of a proxy (status 400 or more) or a
// page that is not the API's (200).
func writeHTML(w http.ResponseWriter, status int) {
	title := strconv.Itoa(status) + " " + http.StatusText(status)
	if status == http.StatusOK {
		title = "Welcome"
	}
	w.Header().Set("Content-Type", "text/html")
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" +
		title + "</h1></center>\r\n<hr><center>stgw</center>\r\n</body>\r\n</html>\r\n"))
}
