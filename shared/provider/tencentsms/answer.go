package tencentsms

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// answer is the part of Tencent's answer to SendSms the client reads:
//
//	{"Response":{"SendStatusSet":[{"SerialNo":"2433:...","PhoneNumber":"+86...","Fee":1,
//	  "SessionContext":"...","Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"..."}}
//	{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"..."},"RequestId":"..."}}
type answer struct {
	RequestID string
	Error     *apiError // the request was refused whole
	Statuses  []sendStatus
}

type apiError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

type sendStatus struct {
	SerialNo    string `json:"SerialNo"`
	PhoneNumber string `json:"PhoneNumber"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
}

// decode reads an HTTP 200 answer. An answer that is not JSON, or has
// neither an Error with a Code nor a SendStatusSet, is an error: Tencent's
// reply did not come through whole.
func decode(b []byte) (answer, error) {
	var v struct {
		Response *struct {
			Error         *apiError    `json:"Error"`
			RequestID     string       `json:"RequestId"`
			SendStatusSet []sendStatus `json:"SendStatusSet"`
		} `json:"Response"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return answer{}, fmt.Errorf("not Tencent's JSON: %w", err)
	}
	r := v.Response
	switch {
	case r == nil:
		return answer{}, errors.New("no Response object")
	case r.Error != nil && r.Error.Code == "":
		return answer{}, errors.New("an Error without a Code")
	case r.Error == nil && r.SendStatusSet == nil:
		return answer{}, errors.New("neither an Error nor a SendStatusSet")
	}
	return answer{RequestID: r.RequestID, Error: r.Error, Statuses: r.SendStatusSet}, nil
}

// outcome turns an answer into SendSMS's result. given are the numbers as
// the message gave them, sent as they went out, in the same order.
func outcome(a answer, given, sent []string, now time.Time) (notify.Acceptance, error) {
	if a.Error != nil {
		return notify.Acceptance{}, &notify.Error{Op: opSend, Kind: topKind(a.Error.Code), Code: a.Error.Code,
			Message: a.Error.Message, RequestID: a.RequestID, RetryAfter: retryAfter(a.Error.Code, now)}
	}
	rc := notify.Acceptance{RequestID: a.RequestID, Code: "Ok", Recipients: make([]notify.RecipientAcceptance, len(sent))}
	accepted := 0
	var least *notify.Error // the least final refusal
	for i, st := range match(sent, a.Statuses) {
		r := notify.RecipientAcceptance{Number: given[i]}
		var e *notify.Error
		switch {
		case st == nil:
			e = &notify.Error{Op: opSend, Kind: notify.Ambiguous, RequestID: a.RequestID,
				Err: errors.New("the answer has no status for the number")}
		case st.Code == "Ok":
			r.ProviderID, r.Code = st.SerialNo, st.Code
			if accepted == 0 {
				rc.ProviderID, rc.Message = st.SerialNo, st.Message
			}
			accepted++
		default:
			r.Code = st.Code
			e = &notify.Error{Op: opSend, Kind: numberKind(st.Code), Code: st.Code, Message: st.Message,
				RequestID: a.RequestID, RetryAfter: retryAfter(st.Code, now)}
		}
		if e != nil {
			r.Err = e
			if least == nil || finality(e.Kind) < finality(least.Kind) {
				least = e
			}
		}
		rc.Recipients[i] = r
	}
	if accepted > 0 {
		return rc, nil
	}
	e := *least
	if n := len(sent); n > 1 {
		if e.Err != nil {
			e.Err = fmt.Errorf("none of %d numbers accepted; %w", n, e.Err)
		} else {
			e.Err = fmt.Errorf("none of %d numbers accepted", n)
		}
	}
	return notify.Acceptance{}, &e
}

// match pairs each sent number with its status, nil for none. A status is
// found by its PhoneNumber; statuses naming no number sent (a number
// written another way) go to the numbers left, in order.
func match(sent []string, statuses []sendStatus) []*sendStatus {
	out := make([]*sendStatus, len(sent))
	byNumber := make(map[string][]int, len(statuses))
	for j, st := range statuses {
		byNumber[st.PhoneNumber] = append(byNumber[st.PhoneNumber], j)
	}
	isSent := make(map[string]bool, len(sent))
	for i, n := range sent {
		isSent[n] = true
		if js := byNumber[n]; len(js) > 0 {
			out[i], byNumber[n] = &statuses[js[0]], js[1:]
		}
	}
	var others []int
	for j, st := range statuses {
		if !isSent[st.PhoneNumber] {
			others = append(others, j)
		}
	}
	for i := range out {
		if out[i] == nil && len(others) > 0 {
			out[i], others = &statuses[others[0]], others[1:]
		}
	}
	return out
}

// finality orders the kinds of refused numbers, least final first: a
// message refused with several kinds takes the least final, so that it
// still fails over when any of its numbers could go elsewhere.
func finality(k notify.Kind) int {
	switch k {
	case notify.Ambiguous:
		return 0
	case notify.Transient:
		return 1
	case notify.Throttled:
		return 2
	case notify.Account:
		return 3
	}
	return 4
}

// topKind classifies the code of a top-level Response.Error: the request
// was refused whole and nothing was sent.
func topKind(code string) notify.Kind {
	switch {
	case accountCode(code):
		return notify.Account
	case code == "LimitExceeded.PhoneNumberCountLimit":
		return notify.Rejected
	case family(code, "LimitExceeded"), family(code, "RequestLimitExceeded"):
		return notify.Throttled
	case family(code, "InternalError"):
		return notify.Transient
	}
	return notify.Rejected
}

// numberKind classifies the Code of one number in SendStatusSet.
func numberKind(code string) notify.Kind {
	switch {
	case accountCode(code):
		return notify.Account
	case code == "LimitExceeded.PhoneNumberCountLimit":
		return notify.Rejected
	case family(code, "LimitExceeded"), family(code, "RequestLimitExceeded"):
		return notify.Throttled
	case family(code, "InternalError"):
		// Tencent may have handed the message to the carrier.
		return notify.Ambiguous
	}
	return notify.Rejected
}

// accountCode reports whether code needs an operator: credentials,
// permissions, balance, a suspended service or application, or a
// configuration (application, region) that does not fit the account.
func accountCode(code string) bool {
	switch code {
	case "FailedOperation.InsufficientBalanceInSmsPackage", "InvalidParameterValue.SdkAppIdNotExist",
		"InvalidParameter.AppidAndBizId", "IpInBlacklist", "IpNotInWhitelist",
		"UnsupportedRegion", "InvalidAction", "NoSuchVersion", "ActionOffline", "NoSuchProduct":
		return true
	}
	return family(code, "AuthFailure") || family(code, "UnauthorizedOperation")
}

// family reports whether code is name or one of its sub-codes (name.X).
func family(code, name string) bool {
	rest, ok := strings.CutPrefix(code, name)
	return ok && (rest == "" || rest[0] == '.')
}

// retryAfter is how long a Throttled code's window lasts from now, 0 when
// the code does not say.
func retryAfter(code string, now time.Time) time.Duration {
	switch code {
	case "LimitExceeded.PhoneNumberThirtySecondLimit":
		return 30 * time.Second
	case "LimitExceeded.PhoneNumberOneHourLimit":
		return time.Hour
	case "LimitExceeded.PhoneNumberDailyLimit", "LimitExceeded.PhoneNumberSameContentDailyLimit",
		"LimitExceeded.AppDailyLimit", "LimitExceeded.DailyLimit":
		t := now.In(notify.Beijing)
		return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, notify.Beijing).Sub(t)
	}
	if family(code, "RequestLimitExceeded") {
		return time.Second // the API's limits are per second
	}
	return 0
}
