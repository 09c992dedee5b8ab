package tencentcloud

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/internal/faults"
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
type Fault = faults.Fault[refusal]

// refusal is the error answer of a Fault: a top-level Response.Error, or
// with perNumber a Code other than Ok for some numbers of a send.
type refusal struct {
	tcError
	perNumber bool
	numbers   []string // perNumber: the numbers refused, all when empty
}

// APIError refuses the whole request with a top-level error, as
// APIError("LimitExceeded.AppDailyLimit", "...") or
// APIError("InternalError.Timeout", "..."): HTTP 200 with
// {"Response":{"Error":{"Code","Message"},"RequestId"}}.
func APIError(code, message string) Fault {
	return faults.Refuse(refusal{tcError: tcError{Code: code, Message: message}}, "api error "+code)
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
	name := "number error " + code
	if len(canon) > 0 {
		name += " for " + strings.Join(canon, ",")
	}
	return faults.Refuse(refusal{tcError: tcError{Code: code, Message: message}, perNumber: true, numbers: canon}, name)
}

// Gateway answers with status (such as 502) and the HTML page of a proxy
// in front of the service; 429 comes with "Retry-After: 1".
func Gateway(status int) Fault { return faults.Page[refusal](status, "gateway "+strconv.Itoa(status)) }

// Slow gives the normal answer after d, or none if the client goes away
// first.
func Slow(d time.Duration) Fault { return faults.Slow[refusal](d) }

// NotJSON answers HTTP 200 with an HTML page, as a captive portal or a
// misrouted proxy may.
func NotJSON() Fault { return faults.NotJSON[refusal](http.StatusOK, "not JSON") }

// Drop closes the connection without answering, having read the request
// and done nothing.
func Drop() Fault { return faults.Drop[refusal]() }

// AcceptThenDrop does the work (a send is recorded as accepted), then
// closes the connection without answering: the case where the client
// cannot know whether its message went out.
func AcceptThenDrop() Fault { return faults.AcceptThenDrop[refusal]() }

// apiError returns the error f refuses a whole request with; nil for none.
func apiError(f Fault) *tcError {
	if r, ok := f.Refusal(); ok && !r.perNumber {
		return &r.tcError
	}
	return nil
}

// numberError returns the error f refuses number e (E.164) of a send
// with; nil for none.
func numberError(f Fault, e string) *tcError {
	r, ok := f.Refusal()
	if !ok || !r.perNumber {
		return nil
	}
	if len(r.numbers) == 0 || slices.Contains(r.numbers, e) {
		return &r.tcError
	}
	return nil
}

// Fail queues f: it applies once the faults queued before it are used up.
func (s *Server) Fail(f Fault) { s.faults.Push(f) }

// Heal removes every queued fault: the following requests are answered
// normally.
func (s *Server) Heal() { s.faults.Clear() }

// stgw is the proxy in front of the service.
type stgw struct{}

// Page writes the proxy's error page (status 400 or more) or a page that
// is not the API's (200).
func (stgw) Page(w http.ResponseWriter, status int) {
	title := strconv.Itoa(status) + " " + http.StatusText(status)
	if status == http.StatusOK {
		title = "Welcome"
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	faults.WritePage(w, status, title, "stgw")
}

// NotJSON writes a page, as Page does.
func (p stgw) NotJSON(w http.ResponseWriter, status int) { p.Page(w, status) }
