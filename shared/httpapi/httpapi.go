// Package httpapi serves the gateway's HTTP API: one http.Handler per
// function. Each decodes a request in the shape its callers send (for
// /sms, /tts and /mail, the legacy API's: docs/legacy.md), calls the core,
// encodes the reply in the shape they expect, and maps the core's error
// Kind to an HTTP status. Queue messages reach the same
// handlers (the platform replays each as a POST), so the statuses here also
// decide what a queue redelivers.
package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// MaxBodyBytes is the largest request body the sms and tts routes accept.
const MaxBodyBytes = 64 << 10

// errorReply is the legacy API's error shape plus our machine-readable
// reason. Legacy callers read Code and Message; RequestId and BizId are the
// string "null" on gateway errors, as the legacy API returned them
// (docs/legacy.md).
type errorReply struct {
	Code      string
	Message   string
	RequestId string
	BizId     string `json:",omitempty"`
	CallId    string `json:",omitempty"`
	MessageId string `json:",omitempty"`
	Reason    string
	Field     string `json:",omitempty"`
}

// requestError is a problem found before the core was called.
func requestError(status int, field, reason, msg string) *httpError {
	return &httpError{status: status, err: &notify.Error{Op: "decode", Kind: notify.Invalid, Field: field,
		Reason: reason, Err: errors.New(msg)}}
}

// httpError carries a status decided by the HTTP layer itself (405, 413,
// 415) or by the Kind of a core error.
type httpError struct {
	status int
	err    *notify.Error
}

// endpoint serves one POST route of a sending function: read the body,
// decode and send it, and reply in the route's shape.
type endpoint struct {
	svc     *notify.Service
	channel notify.Channel
	log     *slog.Logger
	limit   int64  // the largest body taken
	idField string // the provider id field of error replies: "BizId", "CallId" or ""
	// authorizeFirst authorizes the caller as soon as the body's group is
	// read, before anything else of the body is decoded: for a route whose
	// bodies are large (mail's attachments), a stranger's costs its
	// reading only.
	authorizeFirst bool
	// send decodes the body and calls the core.
	send func(r *http.Request, body []byte) (notify.Sent, error)
	// reply is the success reply.
	reply func(notify.Sent) any
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, he := readJSON(w, r, e.limit)
	if he != nil {
		e.fail(w, r, body, he, "")
		return
	}
	group, he := groupOf(body, e.groupField())
	if he != nil {
		e.fail(w, r, body, he, "")
		return
	}
	if o, fromQueue := notify.OriginFrom(r.Context()); fromQueue {
		// A producer may name its message: then a message sent twice to the
		// queue, or to two queues, is one message of its group.
		if key := probeString(body, "IdempotencyKey", "idempotency_key"); key != "" {
			if len(key) > MaxIdempotencyKeyLen || !printableASCII(key) {
				he := requestError(http.StatusBadRequest, "IdempotencyKey", notify.ReasonInvalidIdempotencyKey,
					"must be 1 to 255 printable ASCII characters")
				e.fail(w, r, body, he, "")
				return
			}
			o.Source, o.MessageID = "key", group+":"+key
			if strings.Contains(group, ":") {
				// A group id may hold colons, and a key anything: group
				// "shop" with key "vip:7" would name the message of group
				// "shop:vip" with key "7". No group id holds a slash, and
				// no colon-free group's name has this source.
				o.Source, o.MessageID = "group-key", group+"/"+key
			}
			r = r.WithContext(notify.WithOrigin(r.Context(), o))
		} else if o.MessageID == "" {
			// An MNS topic's STREAM push carries no message id: nothing
			// tells its redelivery from a new message.
			e.log.WarnContext(r.Context(), "queue message without an id or an IdempotencyKey: a redelivery of it is sent again; "+
				"put an IdempotencyKey in the body", "source", o.Source, "group", group)
		}
	}
	if e.authorizeFirst {
		if err := e.svc.Authorize(notify.Credentials{GroupID: group, Key: bearerKey(r)}, e.channel); err != nil {
			e.fail(w, r, body, &httpError{err: notify.AsError(err)}, "")
			return
		}
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if st := e.svc.Idempotency(); st != nil {
			e.idempotent(w, r, body, group, key, st)
			return
		}
	}
	e.serve(w, r, body)
}

// groupField is the body field that names the caller's group.
func (e *endpoint) groupField() string {
	if e.channel == notify.Mail {
		return "group_id"
	}
	return "GroupID"
}

// serve sends the request body and replies.
func (e *endpoint) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	sent, err := e.send(r, body)
	if err != nil {
		e.fail(w, r, body, &httpError{err: notify.AsError(err)}, sent.MessageID)
		return
	}
	writeJSON(w, http.StatusOK, e.reply(sent))
}

// fail replies with the error of he, for the message messageID if it has
// a record, and records a queue message's refusal (refused). The core
// names the caller's group GroupID; the error names it as the route's
// body does.
func (e *endpoint) fail(w http.ResponseWriter, r *http.Request, body []byte, he *httpError, messageID string) {
	if f := e.groupField(); he.err.Field == "GroupID" && f != "GroupID" {
		renamed := *he.err
		renamed.Field = f
		he = &httpError{status: he.status, err: &renamed}
	}
	writeError(w, r, e.log, he, e.idField, e.refused(r, body, he.err, messageID))
}

// UnrecordedWarning is the Warning of a reply whose message was sent but
// whose outcome could not be recorded.
const UnrecordedWarning = "sent, but the outcome could not be recorded; the record stays accepted until a report or a status query settles it. Do not resend"

// warning is the Warning of the reply to s, if any.
func warning(s notify.Sent) string {
	if s.Unrecorded {
		return UnrecordedWarning
	}
	return ""
}

// refused records a queue message refused for good before the pipeline
// recorded it: the queue drops it, and the record says why. It returns the
// id of the message's record, if it has one.
func (e *endpoint) refused(r *http.Request, body []byte, err error, messageID string) string {
	if _, fromQueue := notify.OriginFrom(r.Context()); !fromQueue || messageID != "" || notify.KindOf(err).Retryable() {
		return messageID
	}
	group, _ := groupOf(body, e.groupField())
	return e.svc.RecordRefusal(r.Context(), e.channel, group, err)
}

// probeString reads the first of the named fields of a JSON object body
// that holds a string or a number; "" when none does.
func probeString(body []byte, names ...string) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return ""
	}
	for _, n := range names {
		if v, err := scalar(fields[n], n); err == nil && v != "" {
			return v
		}
	}
	return ""
}

func logOrDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

// readJSON checks the method and content type and reads at most limit bytes
// of body. A missing Content-Type is taken as JSON: the legacy API's callers
// send it, but hand-written curl lines often do not.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *httpError) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, &httpError{status: http.StatusMethodNotAllowed, err: &notify.Error{Op: "decode", Kind: notify.Invalid,
			Reason: notify.ReasonMethodNotAllowed, Err: fmt.Errorf("method %s not allowed; use POST", r.Method)}}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, &httpError{status: http.StatusUnsupportedMediaType, err: &notify.Error{Op: "decode", Kind: notify.Invalid,
				Field: "Content-Type", Reason: notify.ReasonUnsupportedMediaType, Err: errors.New("must be application/json")}}
		}
	}
	tooLarge := &httpError{status: http.StatusRequestEntityTooLarge, err: &notify.Error{Op: "decode", Kind: notify.Invalid,
		Reason: notify.ReasonBodyTooLarge, Err: fmt.Errorf("request body is over %d bytes", limit)}}
	if r.ContentLength > limit {
		return nil, tooLarge // refused unread: it says so itself
	}
	body, err := readSized(http.MaxBytesReader(w, r.Body, limit), r.ContentLength, limit)
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return nil, tooLarge
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, requestError(http.StatusRequestTimeout, "", notify.ReasonBodyTooSlow,
				"the request body came too slowly; send it again")
		}
		return nil, requestError(http.StatusBadRequest, "", notify.ReasonUnreadableBody, "the request body could not be read")
	}
	return body, nil
}

// readSized reads all of body into one buffer of the size the request
// declares, when it declares one within limit: io.ReadAll would grow its
// buffer step by step, and leave several times a large body's size behind
// for the collector.
func readSized(body io.Reader, declared, limit int64) ([]byte, error) {
	if declared < 0 || declared > limit {
		return io.ReadAll(body)
	}
	buf := bytes.NewBuffer(make([]byte, 0, declared+bytes.MinRead))
	_, err := buf.ReadFrom(body)
	return buf.Bytes(), err
}

// bearerKey returns the API key of an "Authorization: Bearer <key>" header.
func bearerKey(r *http.Request) notify.Secret {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return notify.Secret(strings.TrimSpace(h[7:]))
	}
	return ""
}

// statusOf maps a core error to the HTTP status of the reply.
func statusOf(r *http.Request, e *notify.Error) int {
	switch e.Kind {
	case notify.Invalid, notify.NotFound:
		return http.StatusBadRequest
	case notify.Unauthenticated:
		return http.StatusUnauthorized
	case notify.Forbidden:
		return http.StatusForbidden
	case notify.Throttled:
		return http.StatusTooManyRequests
	case notify.Rejected:
		return http.StatusBadRequest
	case notify.Account, notify.Transient:
		return http.StatusBadGateway
	case notify.Ambiguous:
		// The provider may have the message. Over HTTP, 504 tells the
		// caller so; a queue must not redeliver it (that could send it
		// twice), and 202 says the record will be settled later.
		if _, fromQueue := notify.OriginFrom(r.Context()); fromQueue {
			return http.StatusAccepted
		}
		return http.StatusGatewayTimeout
	case notify.Unavailable:
		return http.StatusServiceUnavailable
	case notify.TooLarge:
		return http.StatusRequestEntityTooLarge
	case notify.Conflict:
		return http.StatusConflict
	case notify.Insufficient:
		return http.StatusPaymentRequired
	default:
		return http.StatusInternalServerError
	}
}

// reasonOf is the stable machine-readable reason of e.
func reasonOf(e *notify.Error) string {
	if e.Reason != "" {
		return e.Reason
	}
	switch e.Kind {
	case notify.Rejected:
		return notify.ReasonProviderRejected
	case notify.Throttled:
		return notify.ReasonProviderThrottled
	case notify.Account:
		return notify.ReasonProviderAccount
	case notify.Transient:
		return notify.ReasonProviderUnavailable
	case notify.Ambiguous:
		return notify.ReasonProviderOutcomeUnknown
	case notify.Unavailable:
		return notify.ReasonStoreUnavailable
	case notify.Insufficient:
		return notify.ReasonBalanceTooLow
	default:
		return notify.ReasonInternalError
	}
}

// messageOf is the human-readable Message of the reply: the provider's own
// message when it answered, otherwise the field and the problem. Internal
// errors say nothing of their cause, which is logged instead.
func messageOf(e *notify.Error) string {
	switch {
	case e.Code != "" && e.Message != "":
		return e.Message
	case e.Kind == notify.Internal:
		return "internal error; the administrator can find it in the logs"
	case e.Kind == notify.Ambiguous:
		return "the provider did not answer in time; the message may have been sent. Do not resend blindly: query its status by MessageId"
	case e.Reason == notify.ReasonCodesNotConfigured:
		return e.Err.Error()
	case e.Kind == notify.Unavailable && e.Unsent:
		return "the message store is unavailable; nothing was sent. Retry later"
	case e.Kind == notify.Unavailable:
		return "the message store is unavailable. Retry later"
	case e.Kind == notify.Transient || e.Kind == notify.Account:
		return "the provider could not take the message; nothing was sent"
	}
	msg := "request failed"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	return msg
}

// aliyunFlowControl is the Code of Aliyun's SendSms over a number's limits.
const aliyunFlowControl = "isv.BUSINESS_LIMIT_CONTROL"

// writeError replies with the legacy API's error shape. idField is "BizId"
// or "CallId", the provider id field of the route, which legacy callers
// expect.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, he *httpError, idField, messageID string) {
	e := he.err
	status := refuse(w, r, log, he, messageID)
	rep := errorReply{Code: "ERROR", Message: messageOf(e), RequestId: "null", MessageId: messageID,
		Reason: reasonOf(e), Field: e.Field}
	if e.Code != "" {
		rep.Code = e.Code // a provider's rejection goes back unchanged
	} else if idField == "BizId" && e.Reason == notify.ReasonRateLimited {
		// A number's limits are Aliyun's flow control, kept here: its code.
		rep.Code = aliyunFlowControl
	}
	if e.RequestID != "" {
		rep.RequestId = e.RequestID
	}
	switch idField {
	case "BizId":
		rep.BizId = "null"
	case "CallId":
		rep.CallId = "null"
	}
	writeJSON(w, status, rep)
}

// refuse does what every error reply does, whatever its shape: it decides
// the status (he's own, else its error's Kind's), sets the headers that go
// with it (WWW-Authenticate, Retry-After), and logs the refusal. It
// returns the status.
func refuse(w http.ResponseWriter, r *http.Request, log *slog.Logger, he *httpError, messageID string) int {
	e := he.err
	status := he.status
	if status == 0 {
		status = statusOf(r, e)
	}
	if status == http.StatusUnauthorized && e.Reason == notify.ReasonMissingKey {
		w.Header().Set("WWW-Authenticate", `Bearer realm="notify"`)
	}
	if status == http.StatusTooManyRequests {
		retry := "60"
		if e.RetryAfter > 0 {
			retry = strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10)
		}
		w.Header().Set("Retry-After", retry)
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	log.Log(r.Context(), level, "request refused", "route", r.Pattern, "status", status, "reason", reasonOf(e),
		"field", e.Field, "message_id", messageID, "err", e)
	return status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"Code":"ERROR","Message":"internal error","Reason":"`+notify.ReasonInternalError+`"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
