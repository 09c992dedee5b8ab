package tencentcloud

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
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
