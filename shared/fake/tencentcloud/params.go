package tencentcloud

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// MaxPhoneNumbers is how many numbers one SendSms takes.
const MaxPhoneNumbers = 200

// sendRequest is the body of a SendSms.
type sendRequest struct {
	PhoneNumberSet   []string
	SmsSdkAppID      string
	SignName         string
	TemplateID       string
	TemplateParamSet []string
	SessionContext   string
	ExtendCode       string
	SenderID         string
}

// parseSendSms reads and checks the body of a SendSms as the real service
// does: a JSON object of the documented parameters, each of its type, the
// required ones present, at most MaxPhoneNumbers numbers, all mainland or
// all international, and the account's application (appID; "" is any).
// Numbers that are not phone numbers fail on their own later, in
// SendStatusSet.
func parseSendSms(body []byte, appID string) (sendRequest, *tcError) {
	var req sendRequest
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return req, &tcError{Code: "InvalidParameter", Message: "The request body is not a JSON object."}
	}
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		var err error
		switch v := raw[k]; k {
		case "PhoneNumberSet":
			err = json.Unmarshal(v, &req.PhoneNumberSet)
		case "TemplateParamSet":
			err = json.Unmarshal(v, &req.TemplateParamSet)
		case "SmsSdkAppId":
			err = json.Unmarshal(v, &req.SmsSdkAppID)
		case "SignName":
			err = json.Unmarshal(v, &req.SignName)
		case "TemplateId":
			err = json.Unmarshal(v, &req.TemplateID)
		case "SessionContext":
			err = json.Unmarshal(v, &req.SessionContext)
		case "ExtendCode":
			err = json.Unmarshal(v, &req.ExtendCode)
		case "SenderId":
			err = json.Unmarshal(v, &req.SenderID)
		default:
			return req, &tcError{Code: "UnknownParameter", Message: "The parameter `" + k + "` is not recognized."}
		}
		if err != nil {
			return req, invalidType(k)
		}
	}
	switch {
	case req.PhoneNumberSet == nil:
		return req, missing("PhoneNumberSet")
	case req.SmsSdkAppID == "":
		return req, missing("SmsSdkAppId")
	case req.TemplateID == "":
		return req, missing("TemplateId")
	case len(req.PhoneNumberSet) == 0:
		return req, &tcError{Code: "MissingParameter.EmptyPhoneNumberSet",
			Message: "The PhoneNumberSet is empty; please make sure it holds numbers."}
	case len(req.PhoneNumberSet) > MaxPhoneNumbers:
		return req, &tcError{Code: "LimitExceeded.PhoneNumberCountLimit",
			Message: "The number of phone numbers in one request exceeds the upper limit of 200."}
	case appID != "" && req.SmsSdkAppID != appID:
		return req, &tcError{Code: "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
			Message: "The SmsSdkAppId does not belong to the account of the SecretId."}
	}
	mainland := 0
	for _, n := range req.PhoneNumberSet {
		if mainlandish(n) {
			mainland++
		}
	}
	if mainland != 0 && mainland != len(req.PhoneNumberSet) {
		return req, &tcError{Code: "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
			Message: "The request holds both mainland and international phone numbers."}
	}
	return req, nil
}

func missing(name string) *tcError {
	return &tcError{Code: "MissingParameter", Message: "The request is missing a required parameter `" + name + "`."}
}

func invalidType(name string) *tcError {
	return &tcError{Code: "InvalidParameter", Message: "Parameter `" + name + "` type error."}
}

// canonical returns a number in E.164 as SendSms reads it: +[country
// code][number]; for the mainland also 0086, 86 or no prefix before the 11
// digits.
func canonical(n string) (string, bool) {
	if d, ok := strings.CutPrefix(n, "+"); ok {
		if m, ok := strings.CutPrefix(d, "86"); ok {
			return n, mainlandDigits(m)
		}
		return n, digits(d) && len(d) >= 7 && len(d) <= 15 && d[0] != '0'
	}
	for _, p := range [...]string{"0086", "86", ""} {
		if m, ok := strings.CutPrefix(n, p); ok && mainlandDigits(m) {
			return "+86" + m, true
		}
	}
	return "", false
}

func isMainlandE164(e string) bool { return strings.HasPrefix(e, "+86") }

// mainlandish reports whether the service counts n as a mainland number
// when it checks that a request does not mix them: a mainland number, or
// one that is not a number but has +86 or no "+".
func mainlandish(n string) bool {
	if e, ok := canonical(n); ok {
		return isMainlandE164(e)
	}
	return strings.HasPrefix(n, "+86") || !strings.HasPrefix(n, "+")
}

func mainlandDigits(s string) bool { return len(s) == 11 && s[0] == '1' && digits(s) }

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isoCode returns the IsoCode SendStatusSet gives an E.164 number; "DEF"
// when not known, as Tencent answers for what it does not recognize.
func isoCode(e string) string {
	for _, c := range [...]struct{ prefix, iso string }{
		{"+852", "HK"}, {"+853", "MO"}, {"+886", "TW"}, {"+86", "CN"}, {"+65", "SG"}, {"+60", "MY"},
		{"+61", "AU"}, {"+81", "JP"}, {"+82", "KR"}, {"+44", "GB"}, {"+1", "US"},
	} {
		if strings.HasPrefix(e, c.prefix) {
			return c.iso
		}
	}
	return "DEF"
}

// pullRequest is the body of a PullSmsSendStatusByPhoneNumber.
type pullRequest struct {
	begin, end time.Time
	limit      int
	phone      string // E.164
}

// parsePull reads and checks the body of a PullSmsSendStatusByPhoneNumber:
// BeginTime (at most 7 days before now), Offset (0), Limit (1 to 100),
// PhoneNumber (E.164), SmsSdkAppId (the account's; appID "" is any) and,
// optionally, EndTime.
func parsePull(body []byte, appID string, now time.Time) (pullRequest, *tcError) {
	var v struct {
		BeginTime   *int64  `json:"BeginTime"`
		Offset      *int64  `json:"Offset"`
		Limit       *int64  `json:"Limit"`
		PhoneNumber *string `json:"PhoneNumber"`
		SmsSdkAppID *string `json:"SmsSdkAppId"`
		EndTime     *int64  `json:"EndTime"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return pullRequest{}, &tcError{Code: "InvalidParameter", Message: "The request body is not the parameters of the action."}
	}
	switch {
	case v.BeginTime == nil:
		return pullRequest{}, missing("BeginTime")
	case v.Offset == nil:
		return pullRequest{}, missing("Offset")
	case v.Limit == nil:
		return pullRequest{}, missing("Limit")
	case v.PhoneNumber == nil:
		return pullRequest{}, missing("PhoneNumber")
	case v.SmsSdkAppID == nil:
		return pullRequest{}, missing("SmsSdkAppId")
	}
	q := pullRequest{begin: time.Unix(*v.BeginTime, 0), end: now, limit: int(*v.Limit)}
	if v.EndTime != nil {
		q.end = time.Unix(*v.EndTime, 0)
	}
	e164, ok := canonical(*v.PhoneNumber)
	switch {
	case *v.Offset != 0:
		return q, &tcError{Code: "InvalidParameterValue", Message: "Offset must be 0."}
	case *v.Limit < 1 || *v.Limit > 100:
		return q, &tcError{Code: "InvalidParameterValue", Message: "Limit must be 1 to 100."}
	case !ok || !strings.HasPrefix(*v.PhoneNumber, "+"):
		return q, &tcError{Code: "InvalidParameterValue.IncorrectPhoneNumber", Message: "PhoneNumber must be E.164."}
	case appID != "" && *v.SmsSdkAppID != appID:
		return q, &tcError{Code: "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
			Message: "The SmsSdkAppId does not belong to the account of the SecretId."}
	case q.begin.Before(now.Add(-7*24*time.Hour)) || q.end.Before(q.begin):
		return q, &tcError{Code: "InvalidParameterValue", Message: "BeginTime is more than 7 days ago, or after EndTime."}
	}
	q.phone = e164
	return q, nil
}
