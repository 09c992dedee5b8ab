package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/report"
)

// Routes are the routes each function serves, by function name: what
// template.yaml and s.yaml must route to it.
var Routes = map[string][]string{
	"sms": slices.Concat([]string{"POST /sms", "GET /sms/status", "POST /sms/code/send", "POST /sms/code/verify"},
		AlidayuRoutes, SaaSRoutes),
	"tts":      {"POST /tts", "GET /tts/status"},
	"mail":     {"POST /mail", "GET /mail/status"},
	"callback": slices.Concat(CallbackRoutes, ConsoleRoutes),
}

// ConsoleRoutes are the web console's routes (shared/console), which the
// callback function serves in the clouds.
var ConsoleRoutes = []string{
	"GET /console",
	"GET /console/{proxy+}",
	"POST /console/{proxy+}",
}

// CallbackRoutes are the HTTP routes of the callback function: one
// delivery-report push per provider, behind a secret path token.
var CallbackRoutes = []string{
	"POST /callback/{token}/aliyun/sms-report",
	"POST /callback/{token}/aliyun/sms-up",
	"POST /callback/{token}/aliyun/voice-report",
	"POST /callback/{token}/tencent/sms",
	"POST /callback/{token}/cloopen/sms",
}

// CallbackQueuePath is the route of the callback function's queue
// messages, the platform's QueuePath for it: each message is one Aliyun
// report push (see Callback).
const CallbackQueuePath = "/callback/queue/aliyun"

// CallbackTokens are the secret path tokens of the report pushes, one per
// provider. An empty token refuses that provider's pushes.
type CallbackTokens struct {
	Aliyun, Tencent, Cloopen notify.Secret
}

// Callback returns the callback function's handler, which takes the
// providers' delivery reports (and Aliyun's inbound SMS) over
// CallbackRoutes and keeps them in store.
//
// The pushes are not signed, so each path carries the provider's token.
// A wrong or missing token is answered exactly as a route that does not
// exist, 404, and changes nothing. Tokens are compared in constant time,
// as SHA-256 digests so that not even their length shows, and never
// logged: log lines name the route's pattern, never the path.
//
// Each record of a push is recorded before the provider's acknowledgement
// (report.AliyunAck, TencentAck or CloopenAck) is sent: when the store
// fails on any record the reply is 503, and the provider pushes the whole
// push again, whose records already kept are duplicates that change
// nothing. A body that does not parse is 400: the provider may retry, to
// no effect. A report that matches no message is kept as an orphan, and
// acknowledged; the store gives it to its message if the message's outcome
// names its id later.
//
// Queue messages reach CallbackQueuePath, which takes only requests that
// the platform replays from a queue (notify.OriginFrom): access to the
// queue is the cloud's to grant, so no token is needed, and over HTTP the
// path is a route that does not exist. A message is one Aliyun push, told
// by its first record: biz_id makes it an SmsReport, call_id a VoiceReport
// or VoiceCallReport, and sequence_id, content or dest_code without those
// an SmsUp. So an MNS queue that Aliyun's reports are delivered to, one
// record per message, or that a relay fills with whole pushes, feeds the
// function; its 503 makes the queue deliver again, its 400 drops the
// message.
func Callback(store notify.ReportStore, tokens CallbackTokens, log *slog.Logger) http.Handler {
	return CallbackWithInbound(store, tokens, nil, log)
}

// CallbackWithInbound is Callback, with inboundGroup naming the group with a
// webhook an inbound reply is for ("" for none): the store keeps its
// webhook event with it.
func CallbackWithInbound(store notify.ReportStore, tokens CallbackTokens, inboundGroup func(notify.Inbound) string,
	log *slog.Logger) http.Handler {
	log = logOrDiscard(log)
	c := &callback{store: store, log: log, inboundGroup: inboundGroup,
		notFound: NotFound(log, "POST /callback/{token}/{provider}/{push}")}
	a, tc, cl := digestOf(tokens.Aliyun), digestOf(tokens.Tencent), digestOf(tokens.Cloopen)
	pushes := []*push{
		{name: "aliyun/sms-report", token: a, ack: report.AliyunAck, reports: report.AliyunSMSReport},
		{name: "aliyun/sms-up", token: a, ack: report.AliyunAck, inbound: report.AliyunSMSUp},
		{name: "aliyun/voice-report", token: a, ack: report.AliyunAck, reports: report.AliyunVoiceReport},
		{name: "tencent/sms", token: tc, ack: report.TencentAck, reports: report.TencentSMS},
		{name: "cloopen/sms", token: cl, ack: report.CloopenAck, reports: report.CloopenSMS},
	}
	c.queue = make(map[string]*push)
	for _, p := range pushes {
		if strings.HasPrefix(p.name, "aliyun/") {
			c.queue[p.name] = p
		}
	}

	mux := http.NewServeMux()
	for _, p := range pushes {
		// The method is checked after the token, so that a wrong token is
		// a 404 whatever the method.
		mux.HandleFunc("/callback/{token}/"+p.name, func(w http.ResponseWriter, r *http.Request) {
			if !p.token.matches(r.PathValue("token")) {
				c.notFound(w, r)
				return
			}
			c.serve(w, r, p)
		})
	}
	mux.HandleFunc(CallbackQueuePath, c.serveQueue)
	openAPIRoute(mux, log)
	mux.HandleFunc("/", c.notFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ServeMux redirects a path that is not clean to its clean form,
		// which would echo a token in Location: such a path is no route.
		if p := r.URL.Path; p == "" || path.Clean(p) != p {
			c.notFound(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// callback is the callback function's handler.
type callback struct {
	store        notify.ReportStore
	inboundGroup func(notify.Inbound) string // nil: inbound replies go to no group
	log          *slog.Logger
	notFound     http.HandlerFunc
	queue        map[string]*push // Aliyun's pushes by name, for queue messages
}

// push is one route of reports: how to parse its body and what to answer.
type push struct {
	name    string // "<provider>/<push>", the end of its route: "aliyun/sms-report"
	token   digest
	ack     string
	reports func(body []byte) ([]notify.Report, error) // or
	inbound func(body []byte) ([]notify.Inbound, error)
}

// digest is a token's SHA-256, or zero for no token.
type digest struct {
	set bool
	sum [sha256.Size]byte
}

func digestOf(s notify.Secret) digest {
	if s == "" {
		return digest{}
	}
	return digest{set: true, sum: sha256.Sum256([]byte(s.Reveal()))}
}

// matches reports whether token is the one d is the digest of. Comparing
// digests takes the same time whatever the token's length or content.
func (d digest) matches(token string) bool {
	sum := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(sum[:], d.sum[:]) == 1 && d.set
}

// serveQueue takes a queue message: an Aliyun push of any kind.
func (c *callback) serveQueue(w http.ResponseWriter, r *http.Request) {
	if _, fromQueue := notify.OriginFrom(r.Context()); !fromQueue {
		c.notFound(w, r)
		return
	}
	body, ok := c.read(w, r)
	if !ok {
		return
	}
	p := c.queue["aliyun/"+aliyunKind(body)]
	if p == nil {
		writeError(w, r, c.log, requestError(http.StatusBadRequest, "", notify.ReasonInvalidReport,
			"the queue message is not an Aliyun report: its first record has no biz_id, call_id, sequence_id, content or dest_code"), "", "")
		return
	}
	c.take(w, r, p, body)
}

// serve takes a push over HTTP whose token matched.
func (c *callback) serve(w http.ResponseWriter, r *http.Request, p *push) {
	if body, ok := c.read(w, r); ok {
		c.take(w, r, p, body)
	}
}

// read checks the method and reads the body, or answers the error. The
// Content-Type is not checked: what a provider sends is what we get, and a
// refused push is a lost report.
func (c *callback) read(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, r, c.log, &httpError{status: http.StatusMethodNotAllowed, err: &notify.Error{Op: "decode",
			Kind: notify.Invalid, Reason: notify.ReasonMethodNotAllowed, Err: fmt.Errorf("method %s not allowed; use POST", r.Method)}}, "", "")
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, report.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, r, c.log, requestError(http.StatusRequestEntityTooLarge, "", notify.ReasonBodyTooLarge,
				fmt.Sprintf("request body is over %d bytes", report.MaxBodyBytes)), "", "")
		} else {
			writeError(w, r, c.log, requestError(http.StatusBadRequest, "", notify.ReasonUnreadableBody,
				"the request body could not be read"), "", "")
		}
		return nil, false
	}
	return body, true
}

// tally counts what became of a push's records.
type tally struct {
	records, applied, duplicate, orphan int
}

// take parses and records a push, then acknowledges it.
func (c *callback) take(w http.ResponseWriter, r *http.Request, p *push, body []byte) {
	var (
		n   tally
		err error
	)
	if p.inbound != nil {
		n, err = c.recordInbound(r.Context(), p, body)
	} else {
		n, err = c.recordReports(r.Context(), p, body)
	}
	var se storeError
	switch {
	case errors.As(err, &se):
		c.unavailable(w, r, p, n, se.err)
		return
	case err != nil:
		writeError(w, r, c.log, &httpError{status: http.StatusBadRequest, err: notify.AsError(err)}, "", "")
		return
	}
	c.log.InfoContext(r.Context(), "reports recorded", "route", r.Pattern, "push", p.name, "records", n.records,
		"applied", n.applied, "duplicate", n.duplicate, "orphan", n.orphan)
	w.Header().Set("Content-Type", report.AckContentType)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, p.ack)
}

// recordReports parses a push of reports and records each one. The
// store's errors are storeErrors; any other is the parser's.
func (c *callback) recordReports(ctx context.Context, p *push, body []byte) (tally, error) {
	rs, err := p.reports(body)
	if err != nil {
		return tally{}, err
	}
	n := tally{records: len(rs)}
	for _, rep := range rs {
		res, err := c.store.RecordReport(ctx, rep)
		if err != nil {
			return n, storeError{err}
		}
		switch {
		case res.Duplicate:
			n.duplicate++
		case res.MessageID == "":
			n.orphan++
		default:
			n.applied++
		}
	}
	return n, nil
}

// recordInbound parses a push of inbound SMS and records each one.
func (c *callback) recordInbound(ctx context.Context, p *push, body []byte) (tally, error) {
	rs, err := p.inbound(body)
	if err != nil {
		return tally{}, err
	}
	n := tally{records: len(rs)}
	for _, rep := range rs {
		if c.inboundGroup != nil {
			rep.GroupID = c.inboundGroup(rep)
		}
		isNew, err := c.store.RecordInbound(ctx, rep)
		if err != nil {
			return n, storeError{err}
		}
		if isNew {
			n.applied++
		} else {
			n.duplicate++
		}
	}
	return n, nil
}

// storeError marks an error of the store, whatever it wraps: a store may
// return a *notify.Error of any kind, and every one is a 503.
type storeError struct{ err error }

func (e storeError) Error() string { return e.err.Error() }
func (e storeError) Unwrap() error { return e.err }

// unavailable answers a push the store could not keep, whole or in part:
// 503, so that the provider or the queue delivers it again.
func (c *callback) unavailable(w http.ResponseWriter, r *http.Request, p *push, n tally, err error) {
	c.log.ErrorContext(r.Context(), "reports not recorded; they will be pushed again", "route", r.Pattern,
		"push", p.name, "status", http.StatusServiceUnavailable, "records", n.records,
		"recorded", n.applied+n.duplicate+n.orphan, "err", err)
	writeJSON(w, http.StatusServiceUnavailable, errorReply{Code: "ERROR", RequestId: "null", Reason: notify.ReasonStoreUnavailable,
		Message: "the report store is unavailable; the reports were not all recorded. Push them again later"})
}

// aliyunKind tells which Aliyun push body is by the fields of its first
// record, or "" when it is none: "sms-report" (biz_id), "voice-report"
// (call_id) or "sms-up" (sequence_id, content or dest_code).
func aliyunKind(body []byte) string {
	body = bytes.TrimSpace(body)
	var first map[string]json.RawMessage
	switch {
	case len(body) == 0:
		return ""
	case body[0] == '{':
		if json.Unmarshal(body, &first) != nil {
			return ""
		}
	case body[0] == '[':
		dec := json.NewDecoder(bytes.NewReader(body))
		if _, err := dec.Token(); err != nil || !dec.More() || dec.Decode(&first) != nil {
			return ""
		}
	default:
		return ""
	}
	has := func(k string) bool { _, ok := first[k]; return ok }
	switch {
	case has("biz_id"):
		return "sms-report"
	case has("call_id"):
		return "voice-report"
	case has("sequence_id") || has("content") || has("dest_code"):
		return "sms-up"
	}
	return ""
}
