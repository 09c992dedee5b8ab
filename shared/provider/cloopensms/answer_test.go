package cloopensms

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		code string
		want notify.Kind
	}{
		{"160038", notify.Throttled},
		{"160039", notify.Throttled},
		{"160040", notify.Throttled},
		{"160041", notify.Throttled},
		{"111111", notify.Throttled},
		{"160000", notify.Transient},
		{"160054", notify.Ambiguous},
		{"111109", notify.Account},
		{"111106", notify.Account},
		{"111141", notify.Account},
		{"111142", notify.Account},
		{"111181", notify.Account},
		{"112303", notify.Account},
		{"112310", notify.Account},
		{"113302", notify.Account},
		{"160053", notify.Account},
		{"160058", notify.Account},
		{"112300", notify.Rejected},
		{"112307", notify.Rejected},
		{"112311", notify.Rejected},
		{"160031", notify.Rejected},
		{"160042", notify.Rejected},
		{"160048", notify.Rejected},
		{"160056", notify.Rejected},
		{"111000", notify.Rejected},
		{"1111", notify.Rejected},
		{"999999", notify.Rejected},
		{"ERROR", notify.Rejected},
	}
	for _, tt := range tests {
		if got := kindOf(tt.code); got != tt.want {
			t.Errorf("kindOf(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}

func TestInterpret(t *testing.T) {
	// 23:30 in Beijing: a daily cap lifts 30 minutes later.
	now := time.Date(2024, 5, 1, 15, 30, 0, 0, time.UTC)
	tests := []struct {
		name       string
		status     int
		body       string
		kind       notify.Kind // Internal: success
		code, msg  string
		id         string
		retryAfter time.Duration
	}{
		{name: "success", status: 200,
			body: `{"statusCode":"000000","templateSMS":{"dateCreated":"20130201155306","smsMessageSid":"ff8080813c373cab013c94b0f0512345"}}`,
			code: "000000", id: "ff8080813c373cab013c94b0f0512345"},
		{name: "success as in Cloopen's own sample", status: 200,
			body: `{"statusCode":"000000","templateSMS":{"dateCreated":"20130201155306","smsMessageSid":" ff8080813c373cab013c94b0f0512345"}}`,
			code: "000000", id: "ff8080813c373cab013c94b0f0512345"},
		{name: "success with a message", status: 200,
			body: `{"statusCode":"000000","statusMsg":"成功","templateSMS":{"smsMessageSid":"a"}}`, code: "000000", msg: "成功", id: "a"},
		{name: "success without templateSMS", status: 200, body: `{"statusCode":"000000"}`, code: "000000"},
		{name: "numeric code", status: 200, body: `{"statusCode":160038,"statusMsg":"短信验证码发送过频繁"}`,
			kind: notify.Throttled, code: "160038", msg: "短信验证码发送过频繁"},
		{name: "daily cap", status: 200, body: `{"statusCode":"160040","statusMsg":"验证码超出同模板同号码天发送上限"}`,
			kind: notify.Throttled, code: "160040", msg: "验证码超出同模板同号码天发送上限", retryAfter: 30 * time.Minute},
		{name: "code on an error status", status: 500, body: `{"statusCode":"160000","statusMsg":"系统错误"}`,
			kind: notify.Transient, code: "160000", msg: "系统错误"},
		{name: "code on a 400", status: 400, body: `{"statusCode":"111109","statusMsg":"请求地址Sig校验失败"}`,
			kind: notify.Account, code: "111109", msg: "请求地址Sig校验失败"},
		// Cloopen's answer: sent again, the message would go out twice.
		{name: "success code on an error status", status: 502,
			body: `{"statusCode":"000000","templateSMS":{"smsMessageSid":"b"}}`, code: "000000", id: "b"},
		{name: "no statusCode", status: 200, body: `{"statusMsg":"x"}`, kind: notify.Ambiguous},
		{name: "statusCode an object", status: 200, body: `{"statusCode":{"a":1}}`, kind: notify.Ambiguous},
		{name: "array", status: 200, body: `["000000"]`, kind: notify.Ambiguous},
		{name: "XML", status: 200, body: `<?xml version="1.0"?><Response><statusCode>000000</statusCode></Response>`,
			kind: notify.Ambiguous},
		{name: "empty 200", status: 200, body: ``, kind: notify.Ambiguous},
		{name: "truncated", status: 200, body: `{"statusCode":"000000","templateSMS":{"dateCr`, kind: notify.Ambiguous},
		{name: "HTML 502", status: 502, body: `<html>502 Bad Gateway</html>`, kind: notify.Transient},
		{name: "empty 503", status: 503, body: ``, kind: notify.Transient},
		{name: "504", status: 504, body: `<html>504</html>`, kind: notify.Ambiguous},
		{name: "408", status: 408, kind: notify.Transient},
		{name: "429", status: 429, kind: notify.Throttled},
		{name: "401", status: 401, kind: notify.Account},
		{name: "403", status: 403, kind: notify.Account},
		{name: "404", status: 404, kind: notify.Account},
		{name: "405", status: 405, kind: notify.Account},
		{name: "301", status: 301, kind: notify.Account},
		{name: "400", status: 400, body: `bad request`, kind: notify.Rejected},
		{name: "413", status: 413, kind: notify.Rejected},
	}
	for _, tt := range tests {
		rc, err := interpret(tt.status, "application/json", []byte(tt.body), now)
		if tt.kind == notify.Internal {
			want := notify.Acceptance{ProviderID: tt.id, Code: tt.code, Message: tt.msg}
			if err != nil || rc.ProviderID != want.ProviderID || rc.Code != want.Code || rc.Message != want.Message {
				t.Errorf("%s: interpret = %+v, %v; want %+v", tt.name, rc, err, want)
			}
			continue
		}
		e := notify.AsError(err)
		if e.Kind != tt.kind || e.Code != tt.code || e.Message != tt.msg || e.RetryAfter != tt.retryAfter || e.Op != op {
			t.Errorf("%s: interpret error = %v (%v, %q, %q, %v), want %v, %q, %q, %v",
				tt.name, err, e.Kind, e.Code, e.Message, e.RetryAfter, tt.kind, tt.code, tt.msg, tt.retryAfter)
		}
		if strings.Contains(err.Error(), tt.body) && tt.body != "" {
			t.Errorf("%s: error %q shows the body", tt.name, err)
		}
	}
}

func TestTransportError(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "http://127.0.0.1:1/2013-12-26/Accounts/a/SMS/TemplateSMS?sig=ABCDEF0123",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}}
	dropped := &url.Error{Op: "Post", URL: "http://h/?sig=ABCDEF0123", Err: io.EOF}
	expired, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		wrote bool
		err   error
		kind  notify.Kind
	}{
		{"refused", context.Background(), false, refused, notify.Transient},
		{"refused, wrote reported", context.Background(), true, refused, notify.Transient},
		{"not written", context.Background(), false, dropped, notify.Transient},
		{"dropped after writing", context.Background(), true, dropped, notify.Ambiguous},
		{"deadline after writing", expired, true, &url.Error{Op: "Post", URL: "http://h/?sig=ABCDEF0123",
			Err: context.DeadlineExceeded}, notify.Ambiguous},
		{"deadline while dialing", expired, false, &url.Error{Op: "Post", URL: "http://h/?sig=ABCDEF0123",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o timeout")}}, notify.Transient},
	}
	for _, tt := range tests {
		err := transportError(tt.ctx, tt.wrote, tt.err)
		if k := notify.KindOf(err); k != tt.kind {
			t.Errorf("%s: transportError = %v (%v), want %v", tt.name, err, k, tt.kind)
		}
		if strings.Contains(err.Error(), "ABCDEF0123") {
			t.Errorf("%s: error %q shows the sig", tt.name, err)
		}
		if tt.ctx.Err() != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: error %v does not wrap context.DeadlineExceeded", tt.name, err)
		}
	}
}

// FuzzInterpret feeds any status and body to the answer's decoder. It
// never panics; the outcome is an acceptance exactly when the body is
// Cloopen's JSON with statusCode 000000, whatever the status (Cloopen took
// the message), and otherwise an *notify.Error of a provider's kind,
// without the body in its text.
func FuzzInterpret(f *testing.F) {
	for _, body := range []string{
		`{"statusCode":"000000","templateSMS":{"dateCreated":"20130201155306","smsMessageSid":"ff8080813c373cab013c94b0f0512345"}}`,
		`{"statusCode":"000000","templateSMS":{"dateCreated":"20130201155306","smsMessageSid":" ff8080813c373cab013c94b0f0512345"}}`,
		`{"statusCode":"160038","statusMsg":"短信验证码发送过频繁"}`,
		`{"statusCode":"111109","statusMsg":"请求地址Sig校验失败"}`,
		`{"statusCode":"160054","statusMsg":"请求重复"}`,
		`{"statusCode":160040,"statusMsg":null}`,
		`{"statusCode":"","templateSMS":null}`,
		`{"statusCode":1e999}`,
		`<html><head><title>502 Bad Gateway</title></head></html>`,
		`<?xml version="1.0" encoding="UTF-8"?><Response><statusCode>000000</statusCode></Response>`,
		`success`,
		``,
	} {
		f.Add(200, []byte(body))
	}
	f.Add(502, []byte(`<html>502</html>`))
	f.Add(504, []byte(``))
	f.Add(400, []byte(`{"statusCode":"112300","statusMsg":"接收短信的手机号码为空"}`))
	f.Add(302, []byte(``))
	f.Add(-1, []byte(`{}`))
	now := time.Date(2024, 5, 1, 15, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		rc, err := interpret(status, "application/json", body, now)
		a, decodeErr := decodeAnswer(body)
		ok := decodeErr == nil && a.StatusCode == success
		if (err == nil) != ok {
			t.Fatalf("interpret(%d, %q) = %+v, %v; want success %v", status, body, rc, err, ok)
		}
		if err == nil {
			if rc.Code != success || rc.ProviderID != strings.TrimSpace(rc.ProviderID) {
				t.Fatalf("interpret(%d, %q) = %+v", status, body, rc)
			}
			return
		}
		var e *notify.Error
		if !errors.As(err, &e) {
			t.Fatalf("interpret(%d, %q) error %v is not a *notify.Error", status, body, err)
		}
		switch e.Kind {
		case notify.Throttled, notify.Transient, notify.Account, notify.Rejected, notify.Ambiguous:
		default:
			t.Fatalf("interpret(%d, %q) kind %v", status, body, e.Kind)
		}
		if e.RetryAfter < 0 || e.RetryAfter > 24*time.Hour {
			t.Fatalf("interpret(%d, %q) RetryAfter %v", status, body, e.RetryAfter)
		}
		if decodeErr == nil && a.StatusCode != success && e.Code != a.StatusCode {
			t.Fatalf("interpret(%d, %q) code %q, want the answer's %q", status, body, e.Code, a.StatusCode)
		}
	})
}
