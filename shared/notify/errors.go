package notify

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for the edge: httpapi maps it to an HTTP status,
// the queue adapters map it to "retry" or "drop", and provider routing maps it
// to "fail over" or "stop".
type Kind uint8

// The kinds, from the caller's point of view.
const (
	Internal        Kind = iota // a bug or an unexpected condition on our side
	Invalid                     // the request is malformed; Field names the culprit
	Unauthenticated             // unknown group, missing or wrong API key
	Forbidden                   // the group may not use this channel, sign name or template
	Throttled                   // a limit was hit (ours or the provider's flow control)
	Rejected                    // the provider refused the message for good (isv.* request errors)
	Account                     // the provider account needs an operator (balance, subscription, RAM)
	Transient                   // the provider certainly did not accept the message; a retry may work
	Ambiguous                   // the request may have reached the provider; never resend automatically
	Unavailable                 // our store is unavailable; nothing was sent
	TooLarge                    // the request is over a size limit
	Conflict                    // the same request is being handled right now
	Insufficient                // a balance is too low to pay for the send
	NotFound                    // the record asked for (message, task, combo, code, SaaS group) is not there
)

var kindNames = [...]string{
	Internal:        "internal",
	Invalid:         "invalid",
	Unauthenticated: "unauthenticated",
	Forbidden:       "forbidden",
	Throttled:       "throttled",
	Rejected:        "rejected",
	Account:         "account",
	Transient:       "transient",
	Ambiguous:       "ambiguous",
	Unavailable:     "unavailable",
	TooLarge:        "too_large",
	Conflict:        "conflict",
	Insufficient:    "insufficient",
	NotFound:        "not_found",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// MarshalText makes a Kind read as its name in JSON logs and replies.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Retryable reports whether a queue message that failed with this kind should
// be delivered again. Ambiguous outcomes are not retried: the provider may
// already have sent the message.
func (k Kind) Retryable() bool {
	switch k {
	case Transient, Unavailable, Throttled, Internal, Conflict:
		return true
	}
	return false
}

// Error is the one error type of the core. Providers, the store and the
// service return it; the edge reads Kind, Field, Reason and the provider's
// Code and Message from it.
type Error struct {
	Op     string // what was being done: "sms.send", "aliyunsms.SendSms"
	Kind   Kind
	Field  string // for Invalid: the request field at fault, as the caller spelled it
	Reason string // a stable, machine-readable reason such as ReasonUnknownGroup
	// Code and Message are the provider's own, when the provider answered.
	Code      string
	Message   string
	RequestID string // the provider's request id, when it answered
	// RetryAfter, for Throttled, is how long until the limit lets the
	// request through; 0 when unknown.
	RetryAfter time.Duration
	// Unsent, for Unavailable, marks a send that the store could not
	// record (or whose Idempotency-Key it could not claim): nothing was sent.
	Unsent bool
	Err    error
}

// E builds an *Error for op of kind k wrapping err (which may be nil).
func E(op string, k Kind, err error) *Error {
	return &Error{Op: op, Kind: k, Err: err}
}

// Invalidf reports a bad request field with a message naming it.
func Invalidf(field, reason, format string, args ...any) *Error {
	return &Error{Op: "validate", Kind: Invalid, Field: field, Reason: reason, Err: fmt.Errorf(format, args...)}
}

func (e *Error) Error() string {
	msg := e.Op
	if e.Field != "" {
		msg += " " + e.Field
	}
	if e.Code != "" {
		msg += ": " + e.Code
		if e.Message != "" {
			msg += " " + e.Message
		}
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the outermost *Error in err's chain, Internal for
// any other non-nil error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// AsError returns the outermost *Error in err's chain, or a new Internal one.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Op: "unknown", Kind: Internal, Err: err}
}
