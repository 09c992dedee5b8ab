package acs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	util "github.com/alibabacloud-go/tea-utils/v2/service"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
)

var keys = acs.Credentials{AccessKeyID: "testAK", AccessKeySecret: "testSecret"}

type echo struct {
	acs.OK
	Query, Form string
}

// serve serves a product whose Echo action returns its Query and Form
// parameters, signed as signing says, with the clock now.
func serve(t testing.TB, signing acs.Signing, now func() time.Time) (*acs.Service, string) {
	svc := acs.NewService(acs.Product{
		Name: "Test", Host: "test.aliyuncs.com", Version: "2020-01-01", Signing: signing, Now: now,
		Actions: map[string]acs.Action{"Echo": func(id string, p url.Values) (any, *acs.Error) {
			return echo{OK: acs.Success(id), Query: p.Get("Query"), Form: p.Get("Form")}, nil
		}},
	}, keys)
	srv := httptest.NewServer(svc)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return svc, strings.TrimPrefix(srv.URL, "http://")
}

// client returns the generic SDK client (darabonba-openapi v2) for host;
// signatureAlgorithm "v2" makes it sign with RPC v1, "" with ACS3.
func client(t testing.TB, host, secret, signatureAlgorithm string) *openapi.Client {
	cfg := &openapi.Config{AccessKeyId: tea.String(keys.AccessKeyID), AccessKeySecret: tea.String(secret),
		Endpoint: tea.String(host), Protocol: tea.String("http"), NoProxy: tea.String(host)}
	if signatureAlgorithm != "" {
		cfg.SignatureAlgorithm = tea.String(signatureAlgorithm)
	}
	c, err := openapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// call calls Echo with query and form parameters and returns what the
// service echoed, or the error code.
func call(c *openapi.Client, query, form string) (string, error) {
	params := &openapi.Params{Action: tea.String("Echo"), Version: tea.String("2020-01-01"), Protocol: tea.String("HTTP"),
		Pathname: tea.String("/"), Method: tea.String("POST"), AuthType: tea.String("AK"), Style: tea.String("RPC"),
		ReqBodyType: tea.String("formData"), BodyType: tea.String("json")}
	req := &openapi.OpenApiRequest{Query: map[string]*string{"Query": tea.String(query)}}
	if form != "" {
		req.Body = map[string]any{"Form": form}
	}
	res, err := c.CallApi(params, req, new(util.RuntimeOptions).SetAutoretry(false))
	var e *tea.SDKError
	if errors.As(err, &e) {
		return "", errors.New(tea.StringValue(e.Code))
	}
	if err != nil {
		return "", err
	}
	body, _ := res["body"].(map[string]any)
	q, _ := body["Query"].(string)
	f, _ := body["Form"].(string)
	return q + "|" + f, nil
}

func TestSignatures(t *testing.T) {
	tests := []struct {
		name     string
		signing  acs.Signing
		algo     string
		secret   string
		skew     time.Duration
		want     string
		wantCode string
	}{
		{name: "acs3", signing: acs.ACS3, secret: "testSecret", want: "a b*c~d+e%f&g=h|多 字节"},
		{name: "rpc", signing: acs.RPC, algo: "v2", secret: "testSecret", want: "a b*c~d+e%f&g=h|多 字节"},
		{name: "acs3 wrong secret", signing: acs.ACS3, secret: "wrong", wantCode: "SignatureDoesNotMatch"},
		{name: "rpc wrong secret", signing: acs.RPC, algo: "v2", secret: "wrong", wantCode: "SignatureDoesNotMatch"},
		{name: "acs3 to an rpc product", signing: acs.RPC, secret: "testSecret", wantCode: "IncompleteSignature"},
		{name: "rpc to an acs3 product", signing: acs.ACS3, algo: "v2", secret: "testSecret", wantCode: "IncompleteSignature"},
		{name: "acs3 clock behind", signing: acs.ACS3, secret: "testSecret", skew: time.Hour, wantCode: "InvalidTimeStamp.Expired"},
		{name: "rpc clock ahead", signing: acs.RPC, algo: "v2", secret: "testSecret", skew: -time.Hour, wantCode: "InvalidTimeStamp.Expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, host := serve(t, tt.signing, func() time.Time { return time.Now().Add(tt.skew) })
			got, err := call(client(t, host, tt.secret, tt.algo), "a b*c~d+e%f&g=h", "多 字节")
			if tt.wantCode != "" {
				if err == nil || err.Error() != tt.wantCode {
					t.Errorf("Echo: %q, %v; want the error %s", got, err, tt.wantCode)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Echo = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// Requests not from the SDK: nothing signed, tampered with after signing.
func TestUnsigned(t *testing.T) {
	svc, host := serve(t, acs.ACS3, nil)
	resp, err := http.Post("http://"+host+"/?Query=x", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), `"Code":"IncompleteSignature"`) ||
		!strings.Contains(string(b), `"HostId":"test.aliyuncs.com"`) || !strings.Contains(string(b), `"Recommend":"https://`) {
		t.Errorf("unsigned POST = %d %s, want 400 IncompleteSignature with HostId and Recommend", resp.StatusCode, b)
	}
	if svc.Requests() != 1 {
		t.Errorf("Requests() = %d, want 1", svc.Requests())
	}
}

// Faults of the network in front of the service come before the signature
// check: an unsigned request sees them.
func TestNotJSON(t *testing.T) {
	tests := []struct {
		status int
		body   string // a part of it
	}{
		{502, "<title>502 Bad Gateway</title>"},
		{200, "success"},
	}
	for _, tt := range tests {
		svc, host := serve(t, acs.ACS3, nil)
		svc.Fail(acs.NotJSON(tt.status))
		resp, err := http.Post("http://"+host+"/", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.body) {
			t.Errorf("answer = %d %q, want %d with %q", resp.StatusCode, b, tt.status, tt.body)
		}
	}
}

// A slow answer ends when the client goes away, so the server can close.
func TestSlowHonoursContext(t *testing.T) {
	svc, host := serve(t, acs.ACS3, nil)
	svc.Fail(acs.Slow(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+host+"/", nil)
	if resp, err := http.DefaultTransport.RoundTrip(req); err == nil {
		resp.Body.Close()
		t.Fatal("the slow request answered")
	}
}

func TestDrop(t *testing.T) {
	for _, f := range []acs.Fault{acs.Drop(), acs.AcceptThenDrop()} {
		svc, host := serve(t, acs.ACS3, nil)
		svc.Fail(f)
		if _, err := call(client(t, host, "testSecret", ""), "x", ""); err == nil || !errors.Is(err, io.EOF) {
			t.Errorf("call: %v, want EOF", err)
		}
	}
}

// FuzzSignatures checks that whatever the SDK signs, the fake verifies, and
// that the parameters arrive unchanged.
func FuzzSignatures(f *testing.F) {
	f.Add("a b*c~d+e%f&g=h", "多 字节", false)
	f.Add("", "=&", true)
	f.Add("%7E%20+", "\t\n", true)
	f.Add("!'()*-._~", "[]{}\"\\", false)
	_, acs3 := serve(f, acs.ACS3, nil)
	_, rpc := serve(f, acs.RPC, nil)
	c3, cr := client(f, acs3, "testSecret", ""), client(f, rpc, "testSecret", "v2")
	f.Fuzz(func(t *testing.T, query, form string, useRPC bool) {
		if !utf8.ValidString(query) || !utf8.ValidString(form) {
			t.Skip("the JSON echo would change invalid UTF-8")
		}
		c := c3
		if useRPC {
			c = cr
		}
		got, err := call(c, query, form)
		if want := query + "|" + form; err != nil || got != want {
			t.Errorf("Echo(%q, %q) = %q, %v; want %q", query, form, got, err, want)
		}
	})
}

// Faults queue up: each applies to its count of requests, in order.
func ExampleService_Fail() {
	svc := acs.NewService(acs.Product{Name: "Demo", Host: "demo.aliyuncs.com", Version: "2020-01-01"}, keys)
	srv := httptest.NewServer(svc)
	defer srv.Close()

	svc.Fail(acs.NotJSON(502).Times(1))
	svc.Fail(acs.Empty(503).Times(2))
	for range 4 {
		resp, err := http.Post(srv.URL, "", nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Print(resp.StatusCode, " ")
	}
	fmt.Println()
	// Unsigned, the last request gets the gateway's 400 IncompleteSignature.

	// Output: 502 503 503 400
}
