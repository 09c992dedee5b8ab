package report

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// seeds adds the testdata files and a few shapes every parser must survive.
func seeds(f *testing.F, files ...string) {
	for _, name := range files {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `[{}]`, `[null]`, `[1,"x",true]`, `{"Request":null}`, `{"Request":[{}]}`,
		`[{"biz_id":{},"call_id":[],"sid":1e999}]`, `[{"success":"TRUE","biz_id":"1"}]`,
		`[{"call_id":"1","status_code":200101,"status_time":"2021-04-28 09:55:02"}]`,
		`[{"sid":"1","report_status":"FAIL","nationcode":"+1","mobile":"2025550123"}]`,
		`{"content":"1","status":0,"recvTime":"20130923010010"}`,
		`[{"phone_number":"\u0000","content":"\ud800","sequence_id":-0.5e-3}]`,
	} {
		f.Add([]byte(s))
	}
}

// checkOutcome asserts what every parser promises.
func checkOutcome[O any](t *testing.T, got []O, err error, ok func(O) bool) {
	t.Helper()
	if err != nil {
		var e *notify.Error
		if !errors.As(err, &e) || e.Kind != notify.Invalid {
			t.Fatalf("error %#v is not an Invalid *notify.Error", err)
		}
		if got != nil {
			t.Fatalf("got %d records with an error", len(got))
		}
		return
	}
	if len(got) == 0 || len(got) > MaxRecords {
		t.Fatalf("got %d records and no error", len(got))
	}
	for i, o := range got {
		if !ok(o) {
			t.Fatalf("record %d breaks the contract: %+v", i+1, o)
		}
	}
}

func validReport(r Report) bool {
	switch r.Status {
	case notify.Delivered, notify.Failed, notify.Submitted:
	default:
		return false
	}
	// Each field within the longest a record may give it (a phone number
	// made canonical is no longer than as sent).
	within := len(r.ProviderID) <= maxID && len(r.Recipient) <= maxPhone && len(r.Code) <= maxCode &&
		len(r.Text) <= maxText && len(r.OutID) <= maxOutID
	return strings.TrimSpace(r.ProviderID) != "" && r.Provider != "" && (r.Channel == notify.SMS || r.Channel == notify.Voice) &&
		json.Valid(r.Raw) && within
}

func fuzzReports(f *testing.F, parse func([]byte) ([]Report, error), files ...string) {
	seeds(f, files...)
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parse(body)
		checkOutcome(t, got, err, validReport)
	})
}

func FuzzAliyunSMSReport(f *testing.F) {
	fuzzReports(f, AliyunSMSReport, "aliyun-sms-report.json")
}

func FuzzAliyunVoiceReport(f *testing.F) {
	fuzzReports(f, AliyunVoiceReport, "aliyun-voice-report.json", "aliyun-voice-call-report.json")
}

func FuzzTencentSMS(f *testing.F) {
	fuzzReports(f, TencentSMS, "tencent-sms.json")
}

func FuzzCloopenSMS(f *testing.F) {
	fuzzReports(f, CloopenSMS, "cloopen-sms.json")
}

func FuzzAliyunSMSUp(f *testing.F) {
	seeds(f, "aliyun-sms-up.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := AliyunSMSUp(body)
		checkOutcome(t, got, err, func(r Inbound) bool {
			return strings.TrimSpace(r.Recipient) != "" && json.Valid(r.Raw) && len(r.Recipient) <= maxPhone &&
				len(r.Content) <= maxContent && len(r.SequenceID) <= maxID && len(r.DestCode) <= maxCode && len(r.SignName) <= maxText
		})
	})
}
