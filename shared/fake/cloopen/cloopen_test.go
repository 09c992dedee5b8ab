package cloopen_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/seed4ddb146e/notify/shared/fake/internal/china"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/cloopen"
)

const (
	sid   = "8a216da86f9cc12f016fa8d7b2a40a1c"
	token = "5f6e4c4b0a9d4e1f8c3b2a1d0e9f8a7b"
	appID = "8a216da86f9cc12f016fa8d7b3b20a23"
)

// now is the fake's clock in these tests: 2013-02-01 15:53:06 in Beijing.
var now = time.Date(2013, 2, 1, 15, 53, 6, 0, china.Beijing)

var sidPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func start(t testing.TB) *cloopen.Server {
	t.Helper()
	fake := cloopen.New(cloopen.Config{AccountSID: sid, AuthToken: token, AppID: appID, Now: func() time.Time { return now }})
	t.Cleanup(fake.Close)
	return fake
}

// request is a TemplateSMS request, built by hand as the SDKs build it.
type request struct {
	method, path, sig, auth, contentType, body string
}

// valid returns a correct request of the account signed at ts.
func valid(ts time.Time) request {
	s := ts.In(china.Beijing).Format(cloopen.TimestampLayout)
	return request{
		method:      http.MethodPost,
		path:        "/" + cloopen.Version + "/Accounts/" + sid + "/SMS/TemplateSMS",
		sig:         cloopen.Sig(sid, token, s),
		auth:        base64.StdEncoding.EncodeToString([]byte(sid + ":" + s)),
		contentType: "application/json;charset=utf-8",
		body:        `{"to":"13800138000,13900139000","appId":"` + appID + `","templateId":"1","datas":["123456","5"]}`,
	}
}

// answer is what the service answers, success and error shapes together.
type answer struct {
	StatusCode  string `json:"statusCode"`
	StatusMsg   string `json:"statusMsg"`
	TemplateSMS struct {
		DateCreated   string `json:"dateCreated"`
		SMSMessageSID string `json:"smsMessageSid"`
	} `json:"templateSMS"`
}

// do sends r to the fake; the answer is zero unless the status is 200.
func (r request) do(t testing.TB, fake *cloopen.Server) (int, answer) {
	t.Helper()
	req, err := http.NewRequest(r.method, fake.URL()+r.path+"?sig="+r.sig, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", r.contentType)
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var a answer
	if resp.StatusCode == http.StatusOK {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json;charset=utf-8" {
			t.Errorf("Content-Type = %q, want application/json;charset=utf-8", ct)
		}
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("answer %q is not JSON: %v", b, err)
		}
	}
	return resp.StatusCode, a
}

func TestTemplateSMS(t *testing.T) {
	numbers := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = "138" + strconv.Itoa(10000000+i)
		}
		return strings.Join(s, ",")
	}
	body := func(to, app, template, rest string) string {
		return `{"to":"` + to + `","appId":"` + app + `","templateId":"` + template + `"` + rest + `}`
	}
	signedAt := func(ts string) func(r *request) {
		return func(r *request) {
			r.sig = cloopen.Sig(sid, token, ts)
			r.auth = base64.StdEncoding.EncodeToString([]byte(sid + ":" + ts))
		}
	}
	tests := []struct {
		name   string
		change func(r *request)
		status int    // HTTP status; 0 is 200
		code   string // statusCode
	}{
		{"upper-case sig", func(r *request) {}, 0, "000000"},
		{"lower-case sig (Go SDK)", func(r *request) { r.sig = strings.ToLower(r.sig) }, 0, "000000"},
		{"URL-safe base64 without padding", func(r *request) {
			r.auth = base64.RawURLEncoding.EncodeToString([]byte(sid + ":" + now.Format(cloopen.TimestampLayout)))
		}, 0, "000000"},
		{"no datas", func(r *request) { r.body = body("13800138000", appID, "1", "") }, 0, "000000"},
		{"200 numbers", func(r *request) { r.body = body(numbers(200), appID, "1", "") }, 0, "000000"},
		{"timestamp 23 hours old", signedAt(now.Add(-23 * time.Hour).Format(cloopen.TimestampLayout)), 0, "000000"},
		{"clock of a UTC machine", signedAt(now.UTC().Format(cloopen.TimestampLayout)), 0, "000000"},

		{"GET", func(r *request) { r.method = http.MethodGet }, 405, ""},
		{"another function", func(r *request) { r.path = strings.Replace(r.path, "TemplateSMS", "Other", 1) }, 404, ""},
		{"no account in the path", func(r *request) { r.path = "/" + cloopen.Version + "/Accounts//SMS/TemplateSMS" }, 404, ""},
		{"another version", func(r *request) { r.path = strings.Replace(r.path, cloopen.Version, "2014-06-30", 1) }, 0, "111110"},
		{"no Authorization", func(r *request) { r.auth = "" }, 0, "111101"},
		{"Authorization not base64", func(r *request) { r.auth = "not base64!" }, 0, "111102"},
		{"Authorization without a colon", func(r *request) { r.auth = base64.StdEncoding.EncodeToString([]byte(sid)) }, 0, "111103"},
		{"Authorization without account", func(r *request) { r.auth = base64.StdEncoding.EncodeToString([]byte(":20130201155306")) }, 0, "111104"},
		{"Authorization without timestamp", func(r *request) { r.auth = base64.StdEncoding.EncodeToString([]byte(sid + ":")) }, 0, "111105"},
		{"Authorization of another account", func(r *request) {
			r.auth = base64.StdEncoding.EncodeToString([]byte("other:20130201155306"))
		}, 0, "111107"},
		{"no sig", func(r *request) { r.sig = "" }, 0, "111108"},
		{"unknown account", func(r *request) {
			ts := now.Format(cloopen.TimestampLayout)
			r.path = strings.Replace(r.path, sid, "ffffffffffffffffffffffffffffffff", 1)
			r.auth = base64.StdEncoding.EncodeToString([]byte("ffffffffffffffffffffffffffffffff:" + ts))
			r.sig = cloopen.Sig("ffffffffffffffffffffffffffffffff", token, ts)
		}, 0, "111141"},
		{"timestamp badly formatted", signedAt("2013-02-01 15:53:06"), 0, "111113"},
		{"timestamp 25 hours old", signedAt(now.Add(-25 * time.Hour).Format(cloopen.TimestampLayout)), 0, "111106"},
		{"timestamp 25 hours ahead", signedAt(now.Add(25 * time.Hour).Format(cloopen.TimestampLayout)), 0, "111106"},
		{"sig of another token", func(r *request) { r.sig = cloopen.Sig(sid, "wrong", now.Format(cloopen.TimestampLayout)) }, 0, "111109"},
		{"sig of another timestamp", func(r *request) { r.sig = cloopen.Sig(sid, token, "20130201155307") }, 0, "111109"},
		{"tampered sig", func(r *request) { r.sig = "0" + r.sig[1:] }, 0, "111109"},

		{"empty body", func(r *request) { r.body = "" }, 0, "160030"},
		{"body not JSON", func(r *request) { r.body = "to=13800138000" }, 0, "160031"},
		{"XML", func(r *request) { r.contentType = "application/xml;charset=utf-8" }, 0, "160031"},
		{"datas not strings", func(r *request) { r.body = body("13800138000", appID, "1", `,"datas":[123456]`) }, 0, "160031"},
		{"no appId", func(r *request) { r.body = body("13800138000", "", "1", "") }, 0, "111169"},
		{"another app", func(r *request) { r.body = body("13800138000", "otherapp", "1", "") }, 0, "111181"},
		{"no numbers", func(r *request) { r.body = body("", appID, "1", "") }, 0, "112300"},
		{"no template", func(r *request) { r.body = body("13800138000", appID, "", "") }, 0, "112307"},
		{"template not digits", func(r *request) { r.body = body("13800138000", appID, "SMS_1", "") }, 0, "160057"},
		{"201 numbers", func(r *request) { r.body = body(numbers(201), appID, "1", "") }, 0, "160048"},
		{"short number", func(r *request) { r.body = body("1380013800", appID, "1", "") }, 0, "160042"},
		{"E.164 number", func(r *request) { r.body = body("+8613800138000", appID, "1", "") }, 0, "160042"},
		{"trailing comma", func(r *request) { r.body = body("13800138000,", appID, "1", "") }, 0, "160042"},
		{"reqId too long", func(r *request) {
			r.body = body("13800138000", appID, "1", `,"reqId":"`+strings.Repeat("a", 33)+`"`)
		}, 0, "160055"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := start(t)
			r := valid(now)
			tt.change(&r)
			status, a := r.do(t, fake)
			wantStatus := tt.status
			if wantStatus == 0 {
				wantStatus = http.StatusOK
			}
			if status != wantStatus || a.StatusCode != tt.code {
				t.Fatalf("answer = %d %+v, want %d %q", status, a, wantStatus, tt.code)
			}
			sends := fake.Sends()
			if tt.code != cloopen.Success {
				if a.StatusCode != "" && a.StatusMsg == "" {
					t.Errorf("answer %+v has no statusMsg", a)
				}
				if len(sends) != 0 {
					t.Errorf("the fake accepted %+v, want nothing", sends)
				}
				return
			}
			if len(sends) != 1 {
				t.Fatalf("the fake accepted %d sends, want 1", len(sends))
			}
			m := sends[0]
			if a.TemplateSMS.SMSMessageSID != m.SMSMessageSID || !sidPattern.MatchString(m.SMSMessageSID) {
				t.Errorf("smsMessageSid = %q, recorded %q; want the same 32 hex digits", a.TemplateSMS.SMSMessageSID, m.SMSMessageSID)
			}
			if a.TemplateSMS.DateCreated != "20130201155306" || m.DateCreated != "20130201155306" {
				t.Errorf("dateCreated = %q, recorded %q; want 20130201155306", a.TemplateSMS.DateCreated, m.DateCreated)
			}
			var sent struct {
				To         string
				TemplateID string `json:"templateId"`
				Datas      []string
			}
			if err := json.Unmarshal([]byte(r.body), &sent); err != nil {
				t.Fatal(err)
			}
			if strings.Join(m.To, ",") != sent.To || m.AppID != appID || m.TemplateID != sent.TemplateID || !slices.Equal(m.Datas, sent.Datas) {
				t.Errorf("recorded %+v, want the request's %+v", m, sent)
			}
		})
	}
}

func TestSuccessAnswer(t *testing.T) {
	fake := start(t)
	r := valid(now)
	req, _ := http.NewRequest(r.method, fake.URL()+r.path+"?sig="+r.sig, strings.NewReader(r.body))
	req.Header.Set("Authorization", r.auth)
	req.Header.Set("Content-Type", r.contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	want := `{"statusCode":"000000","templateSMS":{"dateCreated":"20130201155306","smsMessageSid":"` +
		fake.Sends()[0].SMSMessageSID + `"}}`
	if string(b) != want {
		t.Errorf("answer = %s, want %s", b, want)
	}
}

func TestReqID(t *testing.T) {
	fake := start(t)
	r := valid(now)
	r.body = `{"to":"13800138000","appId":"` + appID + `","templateId":"1","reqId":"0190c5a3a2b7000000000000000000aa"}`
	var got []string
	for range 2 {
		_, a := r.do(t, fake)
		got = append(got, a.StatusCode)
	}
	if want := []string{"000000", "160054"}; !slices.Equal(got, want) {
		t.Errorf("the same reqId twice: %v, want %v", got, want)
	}
	if n := len(fake.Sends()); n != 1 {
		t.Errorf("%d sends accepted, want 1", n)
	}
}

func TestRequests(t *testing.T) {
	fake := start(t)
	r := valid(now)
	r.sig = strings.ToLower(r.sig)
	r.do(t, fake)
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("Requests() holds %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if got.Method != r.method || got.Path != r.path || got.Sig != r.sig || string(got.Body) != r.body ||
		got.Header.Get("Authorization") != r.auth || got.Header.Get("Content-Type") != r.contentType {
		t.Errorf("recorded %s %s sig=%s %q %v; want the request sent", got.Method, got.Path, got.Sig, got.Body, got.Header)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		fault    cloopen.Fault
		status   int    // 0: no answer
		code     string // the statusCode of a JSON answer
		body     string // the start of any other body
		accepted bool
	}{
		{cloopen.Business("160038", "短信验证码发送过频繁"), 200, "160038", "", false},
		{cloopen.Business("160000", "系统错误"), 200, "160000", "", false},
		{cloopen.HTTPError(502), 502, "", "<html>", false},
		{cloopen.HTTPError(503), 503, "", "<html>", false},
		{cloopen.NotJSON(), 200, "", "success", false},
		{cloopen.Slow(10 * time.Millisecond), 200, "000000", "", true},
		{cloopen.Drop(), 0, "", "", false},
		{cloopen.AcceptThenDrop(), 0, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			fake := start(t)
			fake.Fail(tt.fault.Times(1))
			r := valid(now)
			req, _ := http.NewRequest(r.method, fake.URL()+r.path+"?sig="+r.sig, strings.NewReader(r.body))
			req.Header.Set("Authorization", r.auth)
			req.Header.Set("Content-Type", r.contentType)
			resp, err := http.DefaultClient.Do(req)
			if tt.status == 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got an answer %d, want the connection dropped", resp.StatusCode)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var a answer
				_ = json.Unmarshal(b, &a)
				if resp.StatusCode != tt.status || a.StatusCode != tt.code || !bytes.HasPrefix(b, []byte(tt.body)) {
					t.Errorf("answer = %d %s, want %d, statusCode %q, body starting %q", resp.StatusCode, b, tt.status, tt.code, tt.body)
				}
			}
			if n := len(fake.Sends()); (n == 1) != tt.accepted || n > 1 {
				t.Errorf("%d sends accepted, want accepted %v", n, tt.accepted)
			}
			if status, a := r.do(t, fake); status != 200 || a.StatusCode != cloopen.Success {
				t.Errorf("the request after the fault: %d %+v, want 000000", status, a)
			}
		})
	}
}

// A business error answers only requests that authenticate; faults queue up.
func TestFaultQueue(t *testing.T) {
	fake := start(t)
	fake.Fail(cloopen.Business("160040", "验证码超出同模板同号码天发送上限").Times(2))
	fake.Fail(cloopen.HTTPError(503).Times(1))
	fake.Fail(cloopen.Business("160041", "通知超出同模板同号码天发送上限"))
	bad := valid(now)
	bad.sig = cloopen.Sig(sid, "wrong", now.Format(cloopen.TimestampLayout))
	var got []string
	for _, r := range []request{valid(now), bad, valid(now), valid(now), valid(now)} {
		status, a := r.do(t, fake)
		got = append(got, strconv.Itoa(status)+" "+a.StatusCode)
	}
	fake.Heal()
	_, a := valid(now).do(t, fake)
	got = append(got, a.StatusCode)
	want := []string{"200 160040", "200 111109", "503 ", "200 160041", "200 160041", "000000"}
	if !slices.Equal(got, want) {
		t.Errorf("answers = %q, want %q", got, want)
	}
	if n := len(fake.Requests()); n != 6 {
		t.Errorf("%d requests recorded, want 6", n)
	}
}

// Close ends a slow answer the client still waits for.
func TestCloseEndsSlowAnswer(t *testing.T) {
	fake := cloopen.New(cloopen.Config{AccountSID: sid, AuthToken: token, AppID: appID, Now: func() time.Time { return now }})
	fake.Fail(cloopen.Slow(time.Hour))
	r := valid(now)
	req, _ := http.NewRequest(r.method, fake.URL()+r.path+"?sig="+r.sig, strings.NewReader(r.body))
	req.Header.Set("Authorization", r.auth)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for len(fake.Requests()) == 0 {
		time.Sleep(time.Millisecond)
	}
	fake.Close()
	if err := <-done; err == nil {
		t.Error("the slow request got an answer, want none")
	}
}

// A client that gives up on a slow answer gets none, and nothing is sent.
func TestSlowClientGivesUp(t *testing.T) {
	fake := start(t)
	fake.Fail(cloopen.Slow(time.Hour))
	r := valid(now)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, r.method, fake.URL()+r.path+"?sig="+r.sig, strings.NewReader(r.body))
	req.Header.Set("Authorization", r.auth)
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Do = %v, want the deadline exceeded", err)
	}
	if n := len(fake.Sends()); n != 0 {
		t.Errorf("%d sends accepted, want 0", n)
	}
}

func TestSigAndAuthorization(t *testing.T) {
	// Computed independently: printf '%s' "$sid$token$ts" | md5sum; printf '%s' "$sid:$ts" | base64
	if got, want := cloopen.Sig(sid, token, "20130201155306"), "6A64B28DC2A46AF9E241D7BCF23BE1E3"; got != want {
		t.Errorf("Sig = %s, want %s", got, want)
	}
	if got, want := cloopen.Authorization(sid, "20130201155306"),
		"OGEyMTZkYTg2ZjljYzEyZjAxNmZhOGQ3YjJhNDBhMWM6MjAxMzAyMDExNTUzMDY="; got != want {
		t.Errorf("Authorization = %s, want %s", got, want)
	}
}
