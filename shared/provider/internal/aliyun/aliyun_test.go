package aliyun

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/alibabacloud-go/tea/tea"

	"github.com/seed4ddb146e/notify/shared/notify"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		code   string
		status int
		want   notify.Kind
	}{
		{"isv.BUSINESS_LIMIT_CONTROL", 200, notify.Throttled},
		{"Throttling.User", 400, notify.Throttled},
		{"Throttling.Api", 400, notify.Throttled},
		{"isp.SYSTEM_ERROR", 200, notify.Transient},
		{"ServiceUnavailable", 503, notify.Transient},
		{"ServiceUnavailable", 0, notify.Transient},
		{"InternalError", 500, notify.Transient},
		{"SignatureNonceUsed", 400, notify.Transient},
		{"isv.AMOUNT_NOT_ENOUGH", 200, notify.Account},
		{"isv.DAY_LIMIT_CONTROL", 200, notify.Account},
		{"isp.RAM_PERMISSION_DENY", 200, notify.Account},
		{"SignatureDoesNotMatch", 400, notify.Account},
		{"InvalidAccessKeyId.NotFound", 404, notify.Account},
		{"InvalidAccessKeyId.Inactive", 400, notify.Account},
		{"InvalidSecurityToken.Expired", 400, notify.Account},
		{"Forbidden.RAM", 403, notify.Account},
		{"InvalidTimeStamp.Expired", 400, notify.Account},
		{"isv.MOBILE_NUMBER_ILLEGAL", 200, notify.Rejected},
		{"isv.INVALID_JSON_PARAM", 200, notify.Rejected},
		{"isv.SOMETHING_NEW", 200, notify.Rejected},
		{"MissingPhoneNumbers", 400, notify.Rejected},
		{"SomethingNew", 400, notify.Rejected},
		{"SomethingNew", 0, notify.Rejected},
		{"SomethingNew", 502, notify.Transient},
	}
	for _, tt := range tests {
		if got := KindOf(tt.code, tt.status); got != tt.want {
			t.Errorf("KindOf(%q, %d) = %v, want %v", tt.code, tt.status, got, tt.want)
		}
	}
}

func TestParseSDKError(t *testing.T) {
	tests := []struct {
		name                string
		code, message, data string
		want                sdkAnswer
	}{
		{name: "openapi v2",
			code:    "MissingPhoneNumbers",
			message: "code: 400, PhoneNumbers is mandatory for this action. request id: 7C2B-1",
			data:    `{"Code":"MissingPhoneNumbers","HostId":"dysmsapi.aliyuncs.com","Message":"PhoneNumbers is mandatory for this action.","Recommend":"https://x","RequestId":"7C2B-1","statusCode":400}`,
			want:    sdkAnswer{code: "MissingPhoneNumbers", message: "PhoneNumbers is mandatory for this action.", requestID: "7C2B-1", status: 400}},
		{name: "openapi v1: no statusCode",
			code:    "ServiceUnavailable",
			message: "code: 503, busy request id: D9CB-2",
			data:    `{"Code":"ServiceUnavailable","HostId":"dyvmsapi.aliyuncs.com","Message":"busy","RequestId":"D9CB-2"}`,
			want:    sdkAnswer{code: "ServiceUnavailable", message: "busy", requestID: "D9CB-2", status: 503}},
		{name: "no data",
			code:    "Throttling.User",
			message: "code: 400, Request was denied due to user flow control. request id: A-3",
			want:    sdkAnswer{code: "Throttling.User", message: "Request was denied due to user flow control.", requestID: "A-3", status: 400}},
		{name: "lower-case keys, string status",
			message: "code: 404, x request id: ",
			data:    `{"code":"InvalidApi.NotFound","message":"not found","requestId":"B-4","statusCode":"404"}`,
			want:    sdkAnswer{code: "InvalidApi.NotFound", message: "not found", requestID: "B-4", status: 404}},
		{name: "not the gateway's shape",
			code:    "ParameterMissing",
			message: "'config' can not be unset",
			data:    `[1,2]`,
			want:    sdkAnswer{code: "ParameterMissing", message: "'config' can not be unset"}},
	}
	for _, tt := range tests {
		if got := parseSDKError(tt.code, tt.message, tt.data); got != tt.want {
			t.Errorf("%s: parseSDKError = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func FuzzParseSDKError(f *testing.F) {
	f.Add("MissingPhoneNumbers", "code: 400, PhoneNumbers is mandatory. request id: 7C2B",
		`{"Code":"MissingPhoneNumbers","Message":"m","RequestId":"7C2B","statusCode":400}`)
	f.Add("", "code: , request id: ", `{"statusCode":1e400}`)
	f.Add("X", "code: 99999999999999999999, x", `{"Code":{"a":1},"Message":[1]}`)
	f.Fuzz(func(t *testing.T, code, message, data string) {
		a := parseSDKError(code, message, data)
		var d map[string]any
		if json.Unmarshal([]byte(data), &d) != nil && a.code != code {
			t.Errorf("parseSDKError(%q, %q, %q).code = %q, want the SDK's code when data is not an object", code, message, data, a.code)
		}
	})
}

func TestClassify(t *testing.T) {
	status := 503
	refused := &url.Error{Op: "Post", URL: "http://127.0.0.1:1/?PhoneNumbers=13800138000",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}}
	tests := []struct {
		name string
		err  error
		kind notify.Kind
		code string
	}{
		{"sdk error", &tea.SDKError{Code: tea.String("ServiceUnavailable"), StatusCode: &status,
			Message: tea.String("code: 503, busy request id: R")}, notify.Transient, "ServiceUnavailable"},
		{"refused", refused, notify.Transient, ""},
		{"dns", &url.Error{Op: "Post", URL: "https://x/", Err: &net.DNSError{Err: "no such host", Name: "x"}}, notify.Transient, ""},
		{"dropped", &url.Error{Op: "Post", URL: "http://h/", Err: io.EOF}, notify.Ambiguous, ""},
		{"not JSON", &json.SyntaxError{}, notify.Ambiguous, ""},
		{"anything else", errors.New("x is not a map[string]interface{}"), notify.Ambiguous, ""},
	}
	for _, tt := range tests {
		e := Classify("op", tt.err)
		if e.Kind != tt.kind || e.Code != tt.code || e.Op != "op" {
			t.Errorf("%s: Classify = %v (%v, %q), want %v, %q", tt.name, e, e.Kind, e.Code, tt.kind, tt.code)
		}
		if strings.Contains(e.Error(), "13800138000") {
			t.Errorf("%s: %q shows the request's query", tt.name, e.Error())
		}
	}
}

func TestDo(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		call func(*client) (Answer, error)
		kind notify.Kind // Internal: success
		code string
	}{
		{"ok", context.Background(), func(*client) (Answer, error) { return Answer{Code: "OK", ID: "1^0"}, nil }, notify.Internal, ""},
		{"business error", context.Background(), func(*client) (Answer, error) {
			return Answer{Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "m", RequestID: "r"}, nil
		}, notify.Throttled, "isv.BUSINESS_LIMIT_CONTROL"},
		{"no code", context.Background(), func(*client) (Answer, error) { return Answer{}, nil }, notify.Ambiguous, ""},
		{"panic", context.Background(), func(*client) (Answer, error) { panic("<nil> is not a map[string]interface{}") }, notify.Ambiguous, ""},
		{"context done first", canceled, func(*client) (Answer, error) { panic("must not be called") }, notify.Transient, ""},
	}
	for _, tt := range tests {
		rc, err := Do(tt.ctx, "op", newTestPool(t), tt.call)
		if tt.kind == notify.Internal {
			if err != nil || rc.ProviderID != "1^0" || rc.Code != "OK" {
				t.Errorf("%s: Do = %+v, %v; want the acceptance of 1^0", tt.name, rc, err)
			}
			continue
		}
		if e := notify.AsError(err); e.Kind != tt.kind || e.Code != tt.code {
			t.Errorf("%s: Do error = %v (%v, %q), want %v, %q", tt.name, err, e.Kind, e.Code, tt.kind, tt.code)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		c     Config
		want  Settings
		creds notify.AccessKeys
	}{
		{Config{AccessKeyID: "ak", AccessKeySecret: "sk"},
			Settings{Host: "product.aliyuncs.com", Protocol: "https", TimeoutMillis: 10000},
			notify.AccessKeys{AccessKeyID: "ak", AccessKeySecret: "sk"}},
		{Config{AccessKeyID: "ak", AccessKeySecret: "sk", SecurityToken: "tok", Endpoint: "http://127.0.0.1:8080", Timeout: 1500 * 1e6},
			Settings{Host: "127.0.0.1:8080", Protocol: "http", NoProxy: "127.0.0.1:8080", TimeoutMillis: 1500},
			notify.AccessKeys{AccessKeyID: "ak", AccessKeySecret: "sk", SecurityToken: "tok"}},
		{Config{AccessKeyID: "ak", AccessKeySecret: "sk", Endpoint: "localhost:9"},
			Settings{Host: "localhost:9", Protocol: "https", NoProxy: "localhost:9", TimeoutMillis: 10000},
			notify.AccessKeys{AccessKeyID: "ak", AccessKeySecret: "sk"}},
		{Config{AccessKeyID: "ak", AccessKeySecret: "sk", Endpoint: "https://[::1]:443/"},
			Settings{Host: "[::1]:443", Protocol: "https", NoProxy: "[::1]:443", TimeoutMillis: 10000},
			notify.AccessKeys{AccessKeyID: "ak", AccessKeySecret: "sk"}},
		// Keys take the place of the fields.
		{Config{AccessKeyID: "ignored", Keys: notify.NewKeys(notify.AccessKeys{AccessKeyID: "STS.k", AccessKeySecret: "s", SecurityToken: "t"})},
			Settings{Host: "product.aliyuncs.com", Protocol: "https", TimeoutMillis: 10000},
			notify.AccessKeys{AccessKeyID: "STS.k", AccessKeySecret: "s", SecurityToken: "t"}},
	}
	for _, tt := range tests {
		got, err := Check("pkg", "product.aliyuncs.com", tt.c)
		if err != nil || got.Keys == nil || *got.Keys.Current() != tt.creds {
			t.Errorf("Check(%+v) = %+v, %v; want credentials %+v", tt.c, got, err, tt.creds)
			continue
		}
		if tt.c.Keys != nil && got.Keys != tt.c.Keys {
			t.Errorf("Check(%+v) did not keep the Keys given", tt.c)
		}
		got.Keys = nil
		if got != tt.want {
			t.Errorf("Check(%+v) = %+v; want %+v", tt.c, got, tt.want)
		}
	}
	if _, err := Check("pkg", "h", Config{Keys: notify.NewKeys(notify.AccessKeys{})}); err == nil ||
		!strings.Contains(err.Error(), "AccessKeyID is required") {
		t.Errorf("Check with empty Keys: %v; want AccessKeyID is required", err)
	}
	// A port without a host would dial this machine.
	for _, ep := range []string{":443", "https://:8443/"} {
		if _, err := Check("pkg", "h", Config{AccessKeyID: "ak", AccessKeySecret: "sk", Endpoint: ep}); err == nil ||
			!strings.Contains(err.Error(), "Endpoint") {
			t.Errorf("Check with Endpoint %q: %v; want it refused", ep, err)
		}
	}
	_, err := Check("pkg", "h", Config{AccessKeySecret: "very-secret", Endpoint: "http://u:very-secret@h", Timeout: -1})
	for _, want := range []string{"pkg: config: ", "AccessKeyID is required", "Endpoint", "Timeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check error = %v, want one with %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "very-secret") {
		t.Errorf("Check error %q shows the secret", err)
	}
}

// TestClassifyPlainAnswer: net/http reports a plain-HTTP answer to an
// https request as ErrSchemeMismatch, whether the server never spoke TLS
// (nothing was sent: Transient) or answered in plain text after it took
// the request over TLS (Ambiguous). The port is asked which it is.
func TestClassifyPlainAnswer(t *testing.T) {
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()

	ref := httptest.NewTLSServer(http.NotFoundHandler())
	defer ref.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := tls.Server(c, ref.TLS.Clone())
				req, err := http.ReadRequest(bufio.NewReader(tc))
				if err != nil {
					return // the probe's handshake, and nothing after it
				}
				taken <- req.URL.RawQuery
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")) // under the TLS, not in it
			}()
		}
	}()

	client := ref.Client() // trusts ref's certificate, which the listener serves
	for _, c := range []struct {
		name string
		host string
		kind notify.Kind
	}{
		{"a port that never spoke TLS", strings.TrimPrefix(plain.URL, "http://"), notify.Transient},
		{"plain text after the request, over TLS", ln.Addr().String(), notify.Ambiguous},
	} {
		_, err := client.Post("https://"+c.host+"/?Action=SendSms&PhoneNumbers=13800138000", "text/plain", nil)
		if !errors.Is(err, http.ErrSchemeMismatch) {
			t.Fatalf("%s: %v; want ErrSchemeMismatch", c.name, err)
		}
		if e := Classify("op", err); e.Kind != c.kind {
			t.Errorf("%s: Classify = %v (%v), want %v", c.name, e, e.Kind, c.kind)
		}
	}
	if len(taken) != 1 {
		t.Errorf("the TLS listener took %d requests, want 1", len(taken))
	}
}

// FuzzSDKErrorRoundTrip: an answer written as darabonba-openapi writes an
// SDKError's message ("code: <status>, <Message> request id: <id>"), or as
// its data (the answer's JSON, statusCode added), is read back whole: the
// status decides whether a failure is the provider's or the request's.
func FuzzSDKErrorRoundTrip(f *testing.F) {
	f.Add(400, "isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile, code: 1, x", "7C2B-11")
	f.Add(503, "ServiceUnavailable", "", "")
	f.Add(0, "", "a request id: b", "r")
	f.Fuzz(func(t *testing.T, status int, code, msg, id string) {
		if strings.Contains(id, " request id: ") || !utf8.ValidString(code) || !utf8.ValidString(msg) || !utf8.ValidString(id) {
			return
		}
		want := sdkAnswer{code: code, message: msg, requestID: id, status: status}
		message := "code: " + strconv.Itoa(status) + ", " + msg + " request id: " + id
		if got := parseSDKError(code, message, ""); got != want {
			t.Fatalf("parseSDKError(%q, %q, \"\") = %+v, want %+v", code, message, got, want)
		}
		data, _ := json.Marshal(map[string]any{"Code": code, "Message": msg, "RequestId": id, "statusCode": status})
		if code == "" || msg == "" || id == "" || status < 0 || status > 999 {
			return // an empty one is taken from the message, as absent; JSON numbers are floats
		}
		if got := parseSDKError("", "", string(data)); got != want {
			t.Fatalf("parseSDKError(\"\", \"\", %s) = %+v, want %+v", data, got, want)
		}
	})
}
