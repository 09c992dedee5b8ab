package aliyun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Answer is the body of an HTTP 200 answer: Code "OK" and the id of what
// was accepted (BizId, CallId), or a business error.
type Answer struct {
	Code      string
	Message   string
	RequestID string
	ID        string
}

// Do makes one SDK request by running call with a client of pool, and
// returns the acceptance, or an *notify.Error of the right Kind, with the
// provider's Code, Message and RequestID when it answered.
//
// The tea SDKs take no context, so call runs in its own goroutine and Do
// returns when ctx is done, with an Ambiguous error: the request may be out.
// The goroutine ends when the SDK's own timeout fires, and only then gives
// the client back to pool: a client is taken once ctx is known not to be
// done, and always given back, so that none is held for good. A panic in
// the SDK (tea-utils v1 panics on a JSON answer that is not an object) is
// recovered and reported as Ambiguous too.
func Do[C any](ctx context.Context, op string, pool *Pool[C], call func(C) (Answer, error)) (notify.Acceptance, error) {
	if err := ctx.Err(); err != nil {
		return notify.Acceptance{}, notify.E(op, notify.Transient, fmt.Errorf("not sent: %w", err))
	}
	api, creds, lane, err := pool.get()
	if err != nil {
		pool.put(api, creds, lane, false)
		return notify.Acceptance{}, notify.E(op, notify.Internal, err)
	}
	type result struct {
		a   Answer
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			pool.put(api, creds, lane, true)
			if p := recover(); p != nil {
				r = result{err: fmt.Errorf("the SDK panicked: %v", p)}
			}
			done <- r
		}()
		r.a, r.err = call(api)
	}()
	select {
	case <-ctx.Done():
		return notify.Acceptance{}, notify.E(op, notify.Ambiguous, fmt.Errorf("waiting for the answer: %w", ctx.Err()))
	case r := <-done:
		if r.err != nil {
			return notify.Acceptance{}, Classify(op, r.err)
		}
		return acceptance(op, r.a)
	}
}

func acceptance(op string, a Answer) (notify.Acceptance, error) {
	switch {
	case a.Code == "OK":
		return notify.Acceptance{ProviderID: a.ID, RequestID: a.RequestID, Code: a.Code, Message: a.Message}, nil
	case a.Code == "":
		e := notify.E(op, notify.Ambiguous, errors.New("an answer without a Code"))
		e.Message, e.RequestID = a.Message, a.RequestID
		return notify.Acceptance{}, e
	}
	e := notify.E(op, KindOf(a.Code, 200), nil)
	e.Code, e.Message, e.RequestID = a.Code, a.Message, a.RequestID
	return notify.Acceptance{}, e
}

// KindOf classifies an Aliyun error code; status is the HTTP status of the
// answer, 0 when unknown. Codes not listed fall back on the status: 5xx is
// Transient, anything else (unknown isv.* codes included) Rejected.
func KindOf(code string, status int) notify.Kind {
	switch code {
	case "isv.BUSINESS_LIMIT_CONTROL", "Throttling.User":
		return notify.Throttled
	case "isp.SYSTEM_ERROR", "ServiceUnavailable", "InternalError", "SignatureNonceUsed":
		return notify.Transient
	case "isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE", "isv.DAY_LIMIT_CONTROL", "isv.MONTH_LIMIT_CONTROL",
		"isv.PRODUCT_UN_SUBSCRIPT", "isv.PRODUCT_UNSUBSCRIBE", "isv.ACCOUNT_NOT_EXISTS", "isv.ACCOUNT_ABNORMAL",
		"isp.RAM_PERMISSION_DENY", "isv.DENY_IP_RANGE",
		"SignatureDoesNotMatch", "IncompleteSignature", "InvalidTimeStamp.Expired":
		return notify.Account
	case "isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT", "isv.TEMPLATE_MISSING_PARAMETERS",
		"isv.INVALID_PARAMETERS", "isv.INVALID_JSON_PARAM", "isv.PARAM_LENGTH_LIMIT", "isv.PARAM_NOT_SUPPORT_URL",
		"isv.BLACK_KEY_CONTROL_LIMIT", "isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL",
		"isv.SMS_SIGNATURE_SCENE_ILLEGAL", "isv.SIGN_STATE_ILLEGAL", "isv.SMS_SIGN_ILLEGAL", "isv.SMS_CONTENT_ILLEGAL",
		"isv.EXTEND_CODE_ERROR", "isv.DOMESTIC_NUMBER_NOT_SUPPORTED":
		return notify.Rejected
	}
	switch {
	case strings.HasPrefix(code, "Throttling"):
		return notify.Throttled
	case strings.HasPrefix(code, "InvalidAccessKeyId"), strings.HasPrefix(code, "InvalidSecurityToken"),
		strings.HasPrefix(code, "Forbidden"):
		return notify.Account
	case status >= 500:
		return notify.Transient
	}
	return notify.Rejected
}

// TakenDays are the times whose days, Beijing time, Aliyun may list a
// message recorded at created under (QuerySendDetails' SendDate,
// QueryCallDetailByCallId's QueryDate): the day Aliyun took it, which is
// the day it was recorded or, for one recorded within notify.InFlightFor
// (the longest a send runs) of midnight, the next day.
func TakenDays(created time.Time) []time.Time {
	first, last := created.In(notify.Beijing), created.Add(notify.InFlightFor).In(notify.Beijing)
	if first.Format(time.DateOnly) != last.Format(time.DateOnly) {
		return []time.Time{first, last}
	}
	return []time.Time{first}
}
