package notify

import (
	"strconv"
	"testing"
	"time"
)

func TestParseMoney(t *testing.T) {
	for _, tt := range []struct {
		in  string
		fen int64
		ok  bool
	}{
		{"200.00", 20000, true},
		{"0.01", 1, true},
		{"0.3", 30, true},
		{"21981.31", 2198131, true},
		{"7", 700, true},
		{"0", 0, true},
		{"100000000", 10_000_000_000, true},
		{"100000000.01", 0, false}, // over the bound
		{"0.001", 0, false},
		{"1.", 0, false},
		{".5", 0, false},
		{"-1.00", 0, false},
		{"+1", 0, false},
		{"1e2", 0, false},
		{"1,5", 0, false},
		{" 1", 0, false},
		{"", 0, false},
		{"１", 0, false}, // a full-width digit
		{"99999999999999999999", 0, false},
	} {
		fen, err := ParseMoney("recharge_money", tt.in)
		if (err == nil) != tt.ok || fen != tt.fen {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d, ok %v", tt.in, fen, err, tt.fen, tt.ok)
		}
		if err != nil && AsError(err).Field != "recharge_money" {
			t.Errorf("ParseMoney(%q): error %v does not name the field", tt.in, err)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 1: "0.01", 30: "0.30", 2198131: "21981.31", -150: "-1.50"} {
		if got := FormatMoney(fen); got != want {
			t.Errorf("FormatMoney(%d) = %q, want %q", fen, got, want)
		}
	}
}

// FuzzParseMoney: what ParseMoney takes, FormatMoney writes back as the
// same amount.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"200.00", "0.01", "0.3", "7", "1e2", "-1", "0.001", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := ParseMoney("m", s)
		if err != nil {
			return
		}
		if fen < 0 || fen > maxFen {
			t.Fatalf("ParseMoney(%q) = %d, out of range", s, fen)
		}
		back, err := ParseMoney("m", FormatMoney(fen))
		if err != nil || back != fen {
			t.Fatalf("ParseMoney(%q) = %d, but %q reads back as %d, %v", s, fen, FormatMoney(fen), back, err)
		}
		want, _ := strconv.ParseFloat(s, 64)
		if got := float64(fen) / 100; got-want > 0.001 || want-got > 0.001 {
			t.Fatalf("ParseMoney(%q) = %d fen, not %v yuan", s, fen, want)
		}
	})
}

func TestSignName(t *testing.T) {
	for in, want := range map[string]string{
		"[去采购报价单]":   "去采购报价单",
		"【去采购报价单】":   "去采购报价单",
		" [ 冰鉴科技 ] ": "冰鉴科技",
		"冰鉴科技":       "冰鉴科技",
		"[]":         "",
		"[":          "[",
		"[a】":        "[a】",
	} {
		if got := signName(in); got != want {
			t.Errorf("signName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTaskSMS(t *testing.T) {
	g := &Group{ID: "gm", SaaS: &SaaS{BusinessTypes: map[int]BusinessType{
		0: {Template: "SMS_1001"},
		2: {Template: "SMS_184105379", Params: map[string]string{"code": "verify_code"}},
	}}}
	task := &Task{Phone: "13112341234", BusinessType: 2}
	r, err := taskSMS(g, task, map[string]string{"verify_code": "112095", "sms_signature": "[去采购报价单]", "x": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if r.GroupID != "gm" || r.SignName != "去采购报价单" || r.TemplateCode != "SMS_184105379" ||
		len(r.Params) != 2 || r.Params["code"] != "112095" || r.Params["x"] != "1" || r.PhoneNumbers[0] != "13112341234" {
		t.Errorf("taskSMS = %+v; want SMS_184105379 signed 去采购报价单 with code 112095 and x 1", r)
	}
	for _, tt := range []struct {
		bt      int
		content map[string]string
		field   string
	}{
		{2, map[string]string{"sms_signature": "s"}, "sms_content.verify_code"},
		{0, map[string]string{"order_id": "1"}, "sms_content.sms_signature"},
		{0, map[string]string{"sms_signature": "[]"}, "sms_content.sms_signature"},
		{5, map[string]string{"sms_signature": "s"}, "business_type"},
	} {
		task.BusinessType = tt.bt
		if _, err := taskSMS(g, task, tt.content); AsError(err).Field != tt.field {
			t.Errorf("taskSMS(type %d, %v): error %v; want one naming %s", tt.bt, tt.content, err, tt.field)
		}
	}
}

func TestSendState(t *testing.T) {
	for st, want := range map[Status]int{"": 0, Accepted: 0, Unknown: 0, Submitted: 1, Delivered: 1, Failed: 2} {
		if got := SendState(st); got != want {
			t.Errorf("SendState(%q) = %d, want %d", st, got, want)
		}
		found := false
		for _, s := range sendStateStatuses[want] {
			found = found || s == st
		}
		if !found {
			t.Errorf("status %q is not among the statuses of send state %d", st, want)
		}
	}
}

func TestCheckDays(t *testing.T) {
	day := func(s string) time.Time {
		d, err := ParseDay("d", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if err := checkDays(day("2020-01-01"), day("2020-12-31")); err != nil {
		t.Errorf("a leap year's 366 days: %v", err)
	}
	if err := checkDays(day("2020-01-01"), day("2021-01-01")); AsError(err).Field != "end_date" {
		t.Errorf("367 days: %v; want an error naming end_date", err)
	}
	if err := checkDays(day("2020-01-02"), day("2020-01-01")); AsError(err).Field != "end_date" {
		t.Errorf("end before start: %v; want an error naming end_date", err)
	}
	if d := day("2019-05-24"); d.UTC().Format(time.RFC3339) != "2019-05-23T16:00:00Z" {
		t.Errorf("2019-05-24 starts at %v; want midnight Beijing time", d.UTC())
	}
}

// TestCheckText: station ids that look alike are alike: every character
// that shows as nothing is refused.
func TestCheckText(t *testing.T) {
	for _, s := range []string{"T1", "T 1", "站点一", "T-1_a.b"} {
		if err := checkText("station_id", s, true); err != nil {
			t.Errorf("checkText(%q): %v", s, err)
		}
	}
	for _, s := range []string{"T1\u200b", "\u202eT1", "T1\u2066", "\ufeffT1", "T1\u00ad", "T1\u180e", "T1\u034f",
		"T1\ufe0f", "T1\u3164", "T1\u115f", "T1\u2800", "T1\ufffd", "T1\x00", "T1\x7f", "T1\xff", "", "  "} {
		if err := checkText("station_id", s, true); AsError(err).Field != "station_id" {
			t.Errorf("checkText(%q) = %v; want a refusal naming station_id", s, err)
		}
	}
}
