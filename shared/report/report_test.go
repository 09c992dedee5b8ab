package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// cst is Beijing time, made here rather than borrowed from the package.
var cst = time.FixedZone("", 8*60*60)

func at(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, cst)
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("compact %q: %v", b, err)
	}
	return buf.String()
}

// checkReports compares got with want field by field; a want with a nil Raw
// skips Raw, which TestSamples checks against the file.
func checkReports(t *testing.T, got, want []Report) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d reports, want %d: %+v", len(got), len(want), got)
	}
	for i, g := range got {
		w := want[i]
		if !g.At.Equal(w.At) {
			t.Errorf("report %d: At = %v, want %v", i+1, g.At, w.At)
		}
		if _, off := g.At.Zone(); !g.At.IsZero() && off != 8*60*60 {
			t.Errorf("report %d: At %v is not in UTC+8", i+1, g.At)
		}
		if w.Raw != nil && compact(t, g.Raw) != compact(t, w.Raw) {
			t.Errorf("report %d: Raw = %s, want %s", i+1, g.Raw, w.Raw)
		}
		if !json.Valid(g.Raw) {
			t.Errorf("report %d: Raw %q is not JSON", i+1, g.Raw)
		}
		g.At, w.At, g.Raw, w.Raw = time.Time{}, time.Time{}, nil, nil
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("report %d:\n got %+v\nwant %+v", i+1, g, w)
		}
	}
}

func TestSamples(t *testing.T) {
	tests := []struct {
		file  string
		parse func([]byte) ([]Report, error)
		wrap  string // how the file holds the one record's Raw
		want  Report
	}{
		{"aliyun-sms-report.json", AliyunSMSReport, "[%s]", Report{Provider: "aliyun", Channel: notify.SMS,
			ProviderID: "12345^0", Recipient: "1381111****", Status: notify.Delivered, Code: "DELIVERED",
			Text: "用户接收成功", OutID: "67890", At: at(2017, 1, 1, 0, 0, 0)}},
		{"aliyun-voice-report.json", AliyunVoiceReport, "[%s]", Report{Provider: "aliyun", Channel: notify.Voice,
			ProviderID: "122628733198^10942206****", Recipient: "130****0000", Status: notify.Delivered,
			Code: "200000", Text: "执行完成", OutID: "abcdefgh", At: at(2021, 4, 28, 10, 3, 50)}},
		{"aliyun-voice-call-report.json", AliyunVoiceReport, "[%s]", Report{Provider: "aliyun", Channel: notify.Voice,
			ProviderID: "100001616500^10000187****", Status: notify.Submitted, Code: "200101",
			OutID: "PROD#2021042810271227129999192500610008S#new#MYBK****#", At: at(2021, 4, 28, 9, 55, 2)}},
		{"tencent-sms.json", TencentSMS, "[%s]", Report{Provider: "tencent", Channel: notify.SMS,
			ProviderID: "<SerialNo>", Recipient: "13xxxxxxxxx", Status: notify.Delivered, Code: "DELIVRD",
			Text: "用户短信送达成功", At: at(2015, 10, 17, 8, 3, 4)}},
		{"cloopen-sms.json", CloopenSMS, `{"Request":%s}`, Report{Provider: "cloopen", Channel: notify.SMS,
			ProviderID: "<smsMessageSid>", Recipient: "13912345678", Status: notify.Delivered, Code: "DELIVRD",
			OutID: "123", At: at(2013, 9, 23, 1, 0, 10)}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := readFile(t, tt.file)
			got, err := tt.parse(body)
			if err != nil {
				t.Fatal(err)
			}
			checkReports(t, got, []Report{tt.want})
			if r := fmt.Sprintf(tt.wrap, compact(t, got[0].Raw)); r != compact(t, body) {
				t.Errorf("Raw wrapped as the push = %s, want the file %s", r, compact(t, body))
			}
		})
	}
}

func TestAliyunSMSUpSample(t *testing.T) {
	body := readFile(t, "aliyun-sms-up.json")
	got, err := AliyunSMSUp(body)
	if err != nil {
		t.Fatal(err)
	}
	want := Inbound{Provider: "aliyun", Recipient: "1381111****", Content: "TD", DestCode: "1234",
		SignName: "签名", SequenceID: "1234567890", At: at(2017, 9, 1, 0, 0, 0)}
	checkInbound(t, got, []Inbound{want})
	if r := "[" + compact(t, got[0].Raw) + "]"; r != compact(t, body) {
		t.Errorf("Raw = %s, want the file's record %s", r, body)
	}
}

func checkInbound(t *testing.T, got, want []Inbound) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d replies, want %d: %+v", len(got), len(want), got)
	}
	for i, g := range got {
		w := want[i]
		if !g.At.Equal(w.At) {
			t.Errorf("reply %d: At = %v, want %v", i+1, g.At, w.At)
		}
		if !json.Valid(g.Raw) {
			t.Errorf("reply %d: Raw %q is not JSON", i+1, g.Raw)
		}
		g.At, w.At, g.Raw, w.Raw = time.Time{}, time.Time{}, nil, nil
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("reply %d:\n got %+v\nwant %+v", i+1, g, w)
		}
	}
}

func TestVariants(t *testing.T) {
	sms := func(id, phone string, st notify.Status, code string, at time.Time) Report {
		return Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: id, Recipient: phone, Status: st, Code: code, At: at}
	}
	call := func(id, callee string, st notify.Status, code string, at time.Time) Report {
		return Report{Provider: "aliyun", Channel: notify.Voice, ProviderID: id, Recipient: callee, Status: st, Code: code, At: at}
	}
	tencent := func(sid, phone string, st notify.Status, code string) Report {
		return Report{Provider: "tencent", Channel: notify.SMS, ProviderID: sid, Recipient: phone, Status: st, Code: code}
	}
	cloopen := func(sid, phone string, st notify.Status, code string) Report {
		return Report{Provider: "cloopen", Channel: notify.SMS, ProviderID: sid, Recipient: phone, Status: st, Code: code}
	}
	tests := []struct {
		name  string
		parse func([]byte) ([]Report, error)
		body  string
		want  []Report
	}{
		{"aliyun sms single object (MNS)", AliyunSMSReport,
			`{"phone_number":"13800138000","success":true,"err_code":"DELIVERED","biz_id":"9^0","report_time":"2024-02-29 23:59:59"}`,
			[]Report{sms("9^0", "13800138000", notify.Delivered, "DELIVERED", at(2024, 2, 29, 23, 59, 59))}},
		{"aliyun sms success as strings, numbers as numbers", AliyunSMSReport,
			`[{"phone_number":13800138000,"success":"false","err_code":"MK:0001","biz_id":12345,"sms_size":2},
			  {"phone_number":"+8613900139000","success":"TRUE","err_code":"DELIVERED","biz_id":"12345","sms_size":"1"}]`,
			[]Report{sms("12345", "13800138000", notify.Failed, "MK:0001", time.Time{}),
				sms("12345", "13900139000", notify.Delivered, "DELIVERED", time.Time{})}},
		{"aliyun sms without success reads err_code", AliyunSMSReport,
			`[{"biz_id":"1^0","err_code":"DELIVERED"},{"biz_id":"2^0","err_code":"IC:0015","success":null}]`,
			[]Report{sms("1^0", "", notify.Delivered, "DELIVERED", time.Time{}),
				sms("2^0", "", notify.Failed, "IC:0015", time.Time{})}},
		{"aliyun sms times empty, odd or zoned", AliyunSMSReport,
			`[{"biz_id":"1^0","success":true,"report_time":""},
			  {"biz_id":"2^0","success":true,"report_time":"yesterday"},
			  {"biz_id":"3^0","success":true,"report_time":"2017-01-01T00:00:00"},
			  {"biz_id":"4^0","success":true,"report_time":"2017-01-01T00:00:00+08:00"}]`,
			[]Report{sms("1^0", "", notify.Delivered, "", time.Time{}), sms("2^0", "", notify.Delivered, "", time.Time{}),
				sms("3^0", "", notify.Delivered, "", at(2017, 1, 1, 0, 0, 0)), sms("4^0", "", notify.Delivered, "", at(2017, 1, 1, 0, 0, 0))}},
		{"aliyun sms international and odd numbers kept", AliyunSMSReport,
			`[{"biz_id":"1^0","success":true,"phone_number":"0085261234567"},
			  {"biz_id":"2^0","success":true,"phone_number":"8613800138000"},
			  {"biz_id":"3^0","success":true,"phone_number":"+86 138"}]`,
			[]Report{sms("1^0", "+85261234567", notify.Delivered, "", time.Time{}),
				sms("2^0", "13800138000", notify.Delivered, "", time.Time{}),
				sms("3^0", "+86 138", notify.Delivered, "", time.Time{})}},
		{"aliyun voice unanswered: empty times, originate_time kept", AliyunVoiceReport,
			`[{"call_id":"1^1","status_code":"200003","callee":"13000000000","start_time":"","end_time":"","duration":"0","b_duration":0,
			   "originate_time":"2021-04-28 10:02:34","ring_time":""},
			  {"call_id":"2^1","status_code":"200004","callee":"13000000001","start_time":"","end_time":"","originate_time":""}]`,
			[]Report{call("1^1", "13000000000", notify.Failed, "200003", at(2021, 4, 28, 10, 2, 34)),
				call("2^1", "13000000001", notify.Failed, "200004", time.Time{})}},
		{"aliyun voice codes, numbers or strings", AliyunVoiceReport,
			`[{"call_id":"a","status_code":200000,"duration":10,"b_duration":"10"},
			  {"call_id":"b","status_code":"200001"},
			  {"call_id":"c","status_code":"200121"},
			  {"call_id":"d","status_code":"999999"},
			  {"call_id":"e","status_code":"200002"}]`,
			[]Report{call("a", "", notify.Delivered, "200000", time.Time{}), call("b", "", notify.Delivered, "200001", time.Time{}),
				call("c", "", notify.Failed, "200121", time.Time{}), call("d", "", notify.Failed, "999999", time.Time{}),
				call("e", "", notify.Failed, "200002", time.Time{})}},
		{"aliyun voice call report states", AliyunVoiceReport,
			`[{"call_id":"a","status_code":"200201","status_time":"2021-04-28 09:55:03"},
			  {"call_id":"a","status_code":"200102","status_time":"2021-04-28 09:55:05"},
			  {"call_id":"a","status_code":"300000","status_time":"2021-04-28 09:55:09","dtmf":"1"},
			  {"call_id":"a","status_code":"200100","status_time":"2021-04-28 09:55:10"},
			  {"call_id":"b","status_code":"200010","status_time":"2021-04-28 09:55:11"}]`,
			[]Report{call("a", "", notify.Submitted, "200201", at(2021, 4, 28, 9, 55, 3)),
				call("a", "", notify.Submitted, "200102", at(2021, 4, 28, 9, 55, 5)),
				call("a", "", notify.Submitted, "300000", at(2021, 4, 28, 9, 55, 9)),
				call("a", "", notify.Submitted, "200100", at(2021, 4, 28, 9, 55, 10)),
				call("b", "", notify.Failed, "200010", at(2021, 4, 28, 9, 55, 11))}},
		{"tencent fail, international, numbers, single object", TencentSMS,
			`{"nationcode":852,"mobile":61234567,"report_status":"FAIL","errmsg":"MK:0001","sid":"s-1"}`,
			[]Report{tencent("s-1", "+85261234567", notify.Failed, "MK:0001")}},
		{"tencent mainland and E.164 mobiles, no errmsg", TencentSMS,
			`[{"nationcode":"86","mobile":"13800138000","report_status":"success","sid":"s-1"},
			  {"mobile":"+8613900139000","report_status":"SUCCESS","errmsg":"","sid":"s-2"}]`,
			[]Report{tencent("s-1", "13800138000", notify.Delivered, "success"),
				tencent("s-2", "13900139000", notify.Delivered, "SUCCESS")}},
		{"cloopen bare record, failed", CloopenSMS,
			`{"action":"SMSArrived","content":"ff80","fromNum":"+8613912345678","deliverCode":"UNDELIV","status":"1","smsCount":2}`,
			[]Report{cloopen("ff80", "13912345678", notify.Failed, "UNDELIV")}},
		{"cloopen status as a number, no action", CloopenSMS,
			`{"Request":{"content":"ff81","fromNum":13912345678,"deliverCode":"DELIVRD","status":0}}`,
			[]Report{cloopen("ff81", "13912345678", notify.Delivered, "DELIVRD")}},
		{"cloopen without status reads deliverCode", CloopenSMS,
			`{"Request":[{"content":"a","deliverCode":"DELIVRD"},{"content":"b","deliverCode":"EXPIRED"}]}`,
			[]Report{cloopen("a", "", notify.Delivered, "DELIVRD"), cloopen("b", "", notify.Failed, "EXPIRED")}},
		{"cloopen array of wrapped-less records", CloopenSMS,
			`[{"content":"a","status":"0"},{"content":"b","status":"2"}]`,
			[]Report{cloopen("a", "", notify.Delivered, "0"), cloopen("b", "", notify.Failed, "2")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			checkReports(t, got, tt.want)
		})
	}
}

func TestRawIsEachRecord(t *testing.T) {
	got, err := AliyunSMSReport([]byte(` [ {"biz_id":"1^0","success":true} ,{"biz_id":"2^0", "success":false} ] `))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`{"biz_id":"1^0","success":true}`, `{"biz_id":"2^0", "success":false}`}
	for i, r := range got {
		if string(r.Raw) != want[i] {
			t.Errorf("record %d: Raw = %s, want %s", i+1, r.Raw, want[i])
		}
	}
}

func TestAliyunSMSUpVariants(t *testing.T) {
	got, err := AliyunSMSUp([]byte(`[{"phone_number":"+8613800138000","content":"好的","sequence_id":"1234567890","dest_code":1234},
		{"phone_number":"13900139000","content":"","sequence_id":12345678901234567890,"send_time":"2017-09-01 08:00:00"}]`))
	if err != nil {
		t.Fatal(err)
	}
	checkInbound(t, got, []Inbound{
		{Provider: "aliyun", Recipient: "13800138000", Content: "好的", DestCode: "1234", SequenceID: "1234567890"},
		{Provider: "aliyun", Recipient: "13900139000", SequenceID: "12345678901234567890", At: at(2017, 9, 1, 8, 0, 0)},
	})
	got, err = AliyunSMSUp([]byte(`{"phone_number":"13800138000","content":"TD"}`))
	if err != nil {
		t.Fatal(err)
	}
	checkInbound(t, got, []Inbound{{Provider: "aliyun", Recipient: "13800138000", Content: "TD"}})
}

func TestErrors(t *testing.T) {
	up := func(b []byte) ([]Report, error) { _, err := AliyunSMSUp(b); return nil, err }
	many := "[" + strings.Repeat(`{"biz_id":"1^0","success":true},`, MaxRecords) + `{"biz_id":"1^0","success":true}]`
	tests := []struct {
		name  string
		parse func([]byte) ([]Report, error)
		body  string
		want  string
	}{
		{"empty", AliyunSMSReport, " \n", "report: aliyun sms-report: body is empty"},
		{"text", AliyunSMSReport, "biz_id=1", "report: aliyun sms-report: body is not a JSON array or object"},
		{"null", TencentSMS, "null", "report: tencent sms: body is not a JSON array or object"},
		{"truncated array", AliyunSMSReport, `[{"biz_id":"1"}`,
			"report: aliyun sms-report: body is not a JSON array of records: unexpected end of JSON input"},
		{"bad object", AliyunSMSReport, `{"biz_id":"1"`, "report: aliyun sms-report: body is not valid JSON"},
		{"trailing data", AliyunSMSReport, `{"biz_id":"1"} {}`, "report: aliyun sms-report: body is not valid JSON"},
		{"empty array", AliyunVoiceReport, "[]", "report: aliyun voice-report: no records"},
		{"too many records", AliyunSMSReport, many, "report: aliyun sms-report: 1001 records; at most 1000"},
		{"body too large", AliyunSMSReport, "[" + strings.Repeat(" ", MaxBodyBytes) + "]",
			fmt.Sprintf("report: aliyun sms-report: body is %d bytes; at most %d", MaxBodyBytes+2, MaxBodyBytes)},
		{"record not an object", AliyunSMSReport, `[{"biz_id":"1","success":true},"x"]`,
			"report: aliyun sms-report record 2: is not a JSON object"},
		{"biz_id missing", AliyunSMSReport,
			`[{"biz_id":"1","success":true},{"phone_number":"13812345678","success":true}]`,
			"report: aliyun sms-report record 2: biz_id missing"},
		{"biz_id blank", AliyunSMSReport, `[{"biz_id":"  ","success":true}]`, "report: aliyun sms-report record 1: biz_id missing"},
		{"biz_id null", AliyunSMSReport, `[{"biz_id":null,"success":true}]`, "report: aliyun sms-report record 1: biz_id missing"},
		{"biz_id an object", AliyunSMSReport, `[{"biz_id":{"id":"1"},"success":true}]`,
			"report: aliyun sms-report record 1: biz_id is a JSON object, not a string or number"},
		{"phone an array", AliyunSMSReport, `[{"biz_id":"1","phone_number":["13812345678"]}]`,
			"report: aliyun sms-report record 1: phone_number is a JSON array, not a string or number"},
		{"success odd", AliyunSMSReport, `[{"biz_id":"1","success":"yes"}]`,
			"report: aliyun sms-report record 1: success is neither true nor false"},
		{"no outcome", AliyunSMSReport, `[{"biz_id":"1","phone_number":"13812345678"}]`,
			"report: aliyun sms-report record 1: success missing"},
		{"err_msg too long", AliyunSMSReport,
			`[{"biz_id":"1","success":false,"phone_number":"13812345678","err_msg":"` + strings.Repeat("x", 600) + `"}]`,
			"report: aliyun sms-report record 1: err_msg is 600 bytes; at most 512"},
		{"biz_id too long", AliyunSMSReport, `[{"biz_id":"` + strings.Repeat("1", 129) + `","success":true}]`,
			"report: aliyun sms-report record 1: biz_id is 129 bytes; at most 128"},
		{"call_id missing", AliyunVoiceReport, `[{"status_code":"200000","callee":"13812345678"}]`,
			"report: aliyun voice-report record 1: call_id missing"},
		{"status_code missing", AliyunVoiceReport, `{"call_id":"1"}`,
			"report: aliyun voice-report record 1: status_code missing"},
		{"inbound call record", AliyunVoiceReport, `[{"biz_id":"1^2","status_code":"200102","status_time":"2023-03-06 00:47:10"}]`,
			"report: aliyun voice-report record 1: call_id missing"},
		{"sid missing", TencentSMS, `[{"mobile":"13812345678","report_status":"SUCCESS"}]`,
			"report: tencent sms record 1: sid missing"},
		{"report_status missing", TencentSMS, `[{"sid":"1"}]`, "report: tencent sms record 1: report_status missing"},
		{"report_status odd", TencentSMS, `[{"sid":"1","report_status":"PENDING"}]`,
			"report: tencent sms record 1: report_status is neither SUCCESS nor FAIL"},
		{"content missing", CloopenSMS, `{"Request":{"fromNum":"13812345678","status":"0"}}`,
			"report: cloopen sms record 1: content missing"},
		{"inbound sms", CloopenSMS, `{"Request":{"action":"SMSReceived","content":"call me on 13812345678","status":"0"}}`,
			"report: cloopen sms record 1: action is not SMSArrived"},
		{"no outcome cloopen", CloopenSMS, `{"Request":{"content":"1"}}`, "report: cloopen sms record 1: status missing"},
		{"wrapper of a number", CloopenSMS, `{"Request":5}`, "report: cloopen sms: body is not a JSON array or object"},
		{"sms-up phone missing", up, `[{"content":"13812345678 here"}]`, "report: aliyun sms-up record 1: phone_number missing"},
		{"sms-up content too long", up, `[{"phone_number":"13812345678","content":"` + strings.Repeat("好", 2000) + `"}]`,
			"report: aliyun sms-up record 1: content is 6000 bytes; at most 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("got %+v, want error %q", got, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q, want %q", err, tt.want)
			}
			var e *notify.Error
			if !errors.As(err, &e) || e.Kind != notify.Invalid || e.Reason != "invalid_receipt" {
				t.Errorf("error %#v is not an Invalid *notify.Error with Reason invalid_receipt", err)
			}
			if strings.Contains(err.Error(), "13812345678") || strings.Contains(err.Error(), "xxx") {
				t.Errorf("error %q quotes the record's personal data", err)
			}
		})
	}
}

func TestAcksAreJSON(t *testing.T) {
	tests := []struct {
		ack, key string
		want     any
	}{
		{AliyunAck, "code", 0.0},
		{TencentAck, "result", 0.0},
		{CloopenAck, "statusCode", "000000"},
	}
	for _, tt := range tests {
		var m map[string]any
		if err := json.Unmarshal([]byte(tt.ack), &m); err != nil {
			t.Fatalf("%s: %v", tt.ack, err)
		}
		if m[tt.key] != tt.want {
			t.Errorf("%s: %s = %#v, want %#v", tt.ack, tt.key, m[tt.key], tt.want)
		}
	}
}
