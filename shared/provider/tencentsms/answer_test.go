package tencentsms

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

func TestKinds(t *testing.T) {
	tests := []struct {
		code        string
		top, number notify.Kind
	}{
		{"AuthFailure.SignatureFailure", notify.Account, notify.Account},
		{"AuthFailure.SecretIdNotFound", notify.Account, notify.Account},
		{"AuthFailure", notify.Account, notify.Account},
		{"UnauthorizedOperation.SmsSdkAppIdVerifyFail", notify.Account, notify.Account},
		{"UnauthorizedOperation.SerivceSuspendDueToArrears", notify.Account, notify.Account},
		{"FailedOperation.InsufficientBalanceInSmsPackage", notify.Account, notify.Account},
		{"InvalidParameterValue.SdkAppIdNotExist", notify.Account, notify.Account},
		{"UnsupportedRegion", notify.Account, notify.Account},
		{"NoSuchVersion", notify.Account, notify.Account},
		{"LimitExceeded.DeliveryFrequencyLimit", notify.Throttled, notify.Throttled},
		{"LimitExceeded.PhoneNumberDailyLimit", notify.Throttled, notify.Throttled},
		{"LimitExceeded.AppDailyLimit", notify.Throttled, notify.Throttled},
		{"LimitExceeded.PhoneNumberCountLimit", notify.Rejected, notify.Rejected},
		{"RequestLimitExceeded", notify.Throttled, notify.Throttled},
		{"RequestLimitExceeded.IPLimitExceeded", notify.Throttled, notify.Throttled},
		{"InternalError.Timeout", notify.Transient, notify.Ambiguous},
		{"InternalError.OtherError", notify.Transient, notify.Ambiguous},
		{"InternalError", notify.Transient, notify.Ambiguous},
		{"FailedOperation.PhoneNumberInBlacklist", notify.Rejected, notify.Rejected},
		{"FailedOperation.TemplateIncorrectOrUnapproved", notify.Rejected, notify.Rejected},
		{"FailedOperation.SignatureIncorrectOrUnapproved", notify.Rejected, notify.Rejected},
		{"InvalidParameterValue.IncorrectPhoneNumber", notify.Rejected, notify.Rejected},
		{"InvalidParameter", notify.Rejected, notify.Rejected},
		{"MissingParameter", notify.Rejected, notify.Rejected},
		{"MissingParameter.EmptyPhoneNumberSet", notify.Rejected, notify.Rejected},
		{"UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber", notify.Rejected, notify.Rejected},
		{"UnknownParameter", notify.Rejected, notify.Rejected},
		{"ResourceNotFound.Template", notify.Rejected, notify.Rejected},
		{"SomethingNew", notify.Rejected, notify.Rejected},
		{"InternalErrorX", notify.Rejected, notify.Rejected},
		{"AuthFailureX", notify.Rejected, notify.Rejected},
	}
	for _, tt := range tests {
		if got := topKind(tt.code); got != tt.top {
			t.Errorf("topKind(%q) = %v, want %v", tt.code, got, tt.top)
		}
		if got := numberKind(tt.code); got != tt.number {
			t.Errorf("numberKind(%q) = %v, want %v", tt.code, got, tt.number)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 15, 30, 0, 0, time.UTC) // 23:30 in Beijing
	tests := []struct {
		code string
		want time.Duration
	}{
		{"LimitExceeded.PhoneNumberThirtySecondLimit", 30 * time.Second},
		{"LimitExceeded.PhoneNumberOneHourLimit", time.Hour},
		{"LimitExceeded.PhoneNumberDailyLimit", 30 * time.Minute},
		{"LimitExceeded.AppDailyLimit", 30 * time.Minute},
		{"RequestLimitExceeded.UinLimitExceeded", time.Second},
		{"LimitExceeded.DeliveryFrequencyLimit", 0},
		{"FailedOperation.PhoneNumberInBlacklist", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.code, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}

func TestE164(t *testing.T) {
	many := slices.Repeat([]string{"13800138000"}, MaxPhoneNumbers+1)
	tests := []struct {
		in     []string
		want   []string
		reason string // of the Invalid error
	}{
		{in: []string{"13800138000", "+8613900139000"}, want: []string{"+8613800138000", "+8613900139000"}},
		{in: []string{"+85261234567", "+14155550100"}, want: []string{"+85261234567", "+14155550100"}},
		{in: slices.Repeat([]string{"13800138000"}, MaxPhoneNumbers), want: slices.Repeat([]string{"+8613800138000"}, MaxPhoneNumbers)},
		{in: []string{"13800138000", "+85261234567"}, reason: "mixed_regions"},
		{in: []string{"+85261234567", "+8613800138000"}, reason: "mixed_regions"},
		{in: many, reason: "too_many"},
		{in: nil, reason: "missing_field"},
	}
	for _, tt := range tests {
		got, err := e164(tt.in)
		if tt.reason == "" {
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("e164(%.40q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		var e *notify.Error
		if !errors.As(err, &e) || e.Kind != notify.Invalid || e.Field != "PhoneNumbers" || e.Reason != tt.reason {
			t.Errorf("e164(%.40q) = %v, want an Invalid PhoneNumbers error %s", tt.in, err, tt.reason)
		}
	}
}

func TestMatch(t *testing.T) {
	st := func(numbers ...string) []sendStatus {
		var s []sendStatus
		for _, n := range numbers {
			s = append(s, sendStatus{PhoneNumber: n, SerialNo: "s" + n})
		}
		return s
	}
	tests := []struct {
		name     string
		sent     []string
		statuses []sendStatus
		want     []string // SerialNo found for each, "-" for none
	}{
		{"in order", []string{"+1", "+2"}, st("+1", "+2"), []string{"s+1", "s+2"}},
		{"out of order", []string{"+1", "+2"}, st("+2", "+1"), []string{"s+1", "s+2"}},
		{"one missing", []string{"+1", "+2"}, st("+2"), []string{"-", "s+2"}},
		{"written another way", []string{"+1", "+2"}, st("2", "+1"), []string{"s+1", "s2"}},
		{"none", []string{"+1"}, nil, []string{"-"}},
		{"the same number twice", []string{"+1", "+1"}, st("+1", "+1"), []string{"s+1", "s+1"}},
		{"a duplicate status does not stand in", []string{"+1", "+2"}, st("+1", "+1"), []string{"s+1", "-"}},
	}
	for _, tt := range tests {
		var got []string
		for _, s := range match(tt.sent, tt.statuses) {
			if s == nil {
				got = append(got, "-")
			} else {
				got = append(got, s.SerialNo)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: match = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// When no number is accepted, the error takes the least final kind.
func TestOutcomeLeastFinal(t *testing.T) {
	sent := []string{"+8613800138000", "+8613900139000", "+8613700137000"}
	tests := []struct {
		name  string
		codes []string // "" for no status
		kind  notify.Kind
		code  string
	}{
		{"rejected and throttled", []string{"FailedOperation.PhoneNumberInBlacklist", "LimitExceeded.PhoneNumberDailyLimit",
			"InvalidParameterValue.IncorrectPhoneNumber"}, notify.Throttled, "LimitExceeded.PhoneNumberDailyLimit"},
		{"account and rejected", []string{"FailedOperation.PhoneNumberInBlacklist", "FailedOperation.InsufficientBalanceInSmsPackage",
			"FailedOperation.PhoneNumberInBlacklist"}, notify.Account, "FailedOperation.InsufficientBalanceInSmsPackage"},
		{"one ambiguous", []string{"LimitExceeded.PhoneNumberDailyLimit", "InternalError.Timeout",
			"FailedOperation.PhoneNumberInBlacklist"}, notify.Ambiguous, "InternalError.Timeout"},
		{"one without a status", []string{"FailedOperation.PhoneNumberInBlacklist", "", "LimitExceeded.PhoneNumberDailyLimit"},
			notify.Ambiguous, ""},
		{"all rejected", []string{"FailedOperation.PhoneNumberInBlacklist", "FailedOperation.TemplateIncorrectOrUnapproved",
			"FailedOperation.PhoneNumberInBlacklist"}, notify.Rejected, "FailedOperation.PhoneNumberInBlacklist"},
	}
	for _, tt := range tests {
		a := answer{RequestID: "req-1"}
		for i, c := range tt.codes {
			if c != "" {
				a.Statuses = append(a.Statuses, sendStatus{PhoneNumber: sent[i], Code: c, Message: "m " + c})
			}
		}
		rc, err := outcome(a, sent, sent, time.Now())
		var e *notify.Error
		if !errors.As(err, &e) || e.Kind != tt.kind || e.Code != tt.code || e.RequestID != "req-1" ||
			(tt.code != "" && e.Message != "m "+tt.code) || !strings.Contains(e.Error(), "none of 3 numbers accepted") {
			t.Errorf("%s: outcome = %+v, %v; want %v %s of req-1, saying none of 3 was accepted", tt.name, rc, err, tt.kind, tt.code)
		}
	}
}

// FuzzDecode: any answer decodes or is refused without a panic, and what
// decodes gives an acceptance for every number or a *notify.Error with a Kind
// a send may have.
func FuzzDecode(f *testing.F) {
	f.Add(`{"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"+8618511122233","Fee":1,"SessionContext":"test","Code":"Ok","Message":"send success","IsoCode":"CN"},{"SerialNo":"","PhoneNumber":"+8618511122266","Fee":0,"SessionContext":"test","Code":"LimitExceeded.PhoneNumberDailyLimit","Message":"daily limit","IsoCode":"CN"}],"RequestId":"a0aabda6-cf91-4f3e-a81f-9198114a2279"}}`)
	f.Add(`{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated. Please check your signature is correct."},"RequestId":"ed93f3cb-f35e-473f-b9f3-0d451b8b79c6"}}`)
	f.Add(`{"Response":{"SendStatusSet":[],"RequestId":"r"}}`)
	f.Add(`{"Response":{"Error":{"Code":"","Message":"m"}}}`)
	f.Add(`{"Response":{"RequestId":"r"}}`)
	f.Add(`{"Response":null}`)
	f.Add(`{"Response":{"SendStatusSet":[{"Code":7}]}}`)
	f.Add(`<html><body>502 Bad Gateway</body></html>`)
	f.Fuzz(func(t *testing.T, body string) {
		a, err := decode([]byte(body))
		if err != nil {
			return
		}
		sent := []string{"+8618511122233", "+8618511122266"}
		rc, err := outcome(a, sent, sent, time.Now())
		if err == nil {
			if len(rc.Recipients) != len(sent) || rc.Code != "Ok" {
				t.Fatalf("outcome of %q = %+v: want a recipient for each number", body, rc)
			}
			return
		}
		var e *notify.Error
		if !errors.As(err, &e) {
			t.Fatalf("outcome of %q = %v, not a *notify.Error", body, err)
		}
		switch e.Kind {
		case notify.Ambiguous, notify.Transient, notify.Throttled, notify.Account, notify.Rejected:
		default:
			t.Fatalf("outcome of %q = %v of kind %v", body, err, e.Kind)
		}
	})
}
