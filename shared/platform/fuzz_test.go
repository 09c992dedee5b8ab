package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzInvoke feeds arbitrary payloads to the detector and the adapters. They
// must never panic, a recognised payload must not fail detection twice in
// different ways, every successful invocation must answer JSON, and an
// HTTP event that decodes never fails its invocation.
func FuzzInvoke(f *testing.F) {
	// The sample events, the timer's among them, seed the corpus.
	addFiles(f, "testdata/events/*.json", "../../events/*/*.json")
	for _, s := range []string{
		``, `null`, `[]`, `[null]`, `{"Records":null}`, `{"Records":[{}]}`,
		`{"version":"2.0","requestContext":{},"rawPath":"relative"}`,
		`{"version":"v1","rawPath":"/%zz","requestContext":{"http":{"method":"GET"}}}`,
		`{"version":"v1","rawPath":"/","isBase64Encoded":true,"body":"!!","requestContext":{}}`,
		`{"httpMethod":"BAD METHOD","path":"/","requestContext":{}}`,
		`{"specversion":"1.0","data":null}`, `[{"specversion":"1.0","data":"text"}]`,
		`{"TopicName":"t","Message":"{}","PublishTime":{"x":1}}`,
		`{"version":"v1","rawPath":"/","requestContext":{"timeEpoch":true}}`,
		`{"triggerTime":1,"triggerName":null}`, `{"triggerTime":"","payload":"x"}`,
		`{"detail-type":"Scheduled Event","source":"aws.scheduler"}`,
		`{"detail-type":"Scheduled Event","source":["aws.events"],"detail":{}}`,
		`eyJHcm91cElEIjoiZGVtbyJ9`, "eyJHcm91cElEIjoiZGVtbyJ9\n", `eyJHcm91cElEIjo=`,
		`{"specversion":"1.0","type":"mns:Queue:SendMessage","data":{"messageBody":"eyJHcm91cElEIjoiZGVtbyJ9"}}`,
	} {
		f.Add([]byte(s))
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Cookies()
		w.Header().Add("Set-Cookie", "a=1")
		_, _ = w.Write([]byte{0xff, 0x00})
	})
	fn, err := New(ticking{h}, Options{Name: "fuzz", QueuePath: "/q"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		k, derr := Detect(payload)
		for _, rt := range []host{onLambda, onFC} {
			resp, err := fn.invoke(context.Background(), payload, invocation{host: rt, requestID: "fuzz"})
			if derr != nil && err == nil {
				t.Fatalf("Detect failed (%v) but invoke succeeded", derr)
			}
			if err == nil && !json.Valid(resp) {
				t.Fatalf("a %s event got a response that is not JSON: %q", k, resp)
			}
			// A request the caller got wrong (its method, path or body)
			// is answered, 4xx, never an invocation that fails, which the
			// trigger would answer 5xx.
			if derr == nil && (k == HTTPAPI || k == RESTAPI || k == FunctionURL || k == FCHTTP) && err != nil {
				if _, herr := decodeHTTP(k, payload); herr == nil {
					t.Fatalf("a %s event that decodes failed its invocation: %v", k, err)
				}
			}
		}
	})
}

// addFiles adds the files the glob patterns match to f's corpus.
func addFiles(f *testing.F, patterns ...string) {
	for _, pattern := range patterns {
		files, _ := filepath.Glob(pattern)
		if len(files) == 0 {
			f.Fatalf("no file matches %s", pattern)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// ticking is a handler whose scheduled work does nothing.
type ticking struct{ http.Handler }

func (ticking) Tick(context.Context) error { return nil }

// FuzzHTTPEventStructs: decodeHTTP's own structs for the HTTP API and
// REST API events read what aws-lambda-go's structs read, field for field,
// from any payload those decode.
func FuzzHTTPEventStructs(f *testing.F) {
	addFiles(f, "testdata/events/apigw-*.json", "testdata/events/function-url.json",
		"../../events/*/apigw-*.json", "../../events/*/function-url.json")
	// One payload of each shape in which every field read is set: a
	// mutated byte rarely turns false into true, or makes a missing key.
	f.Add([]byte(`{"rawPath":"/a","rawQueryString":"q=1","cookies":["a=1"],"headers":{"x":"1"},"body":"Ym9keQ==",` +
		`"isBase64Encoded":true,"requestContext":{"domainName":"d.example","http":{"method":"POST","path":"/a","sourceIp":"192.0.2.1"}}}`))
	f.Add([]byte(`{"path":"/a","httpMethod":"POST","headers":{"x":"1"},"multiValueHeaders":{"x":["1","2"]},` +
		`"queryStringParameters":{"q":"1"},"multiValueQueryStringParameters":{"q":["1","2"]},"body":"Ym9keQ==",` +
		`"isBase64Encoded":true,"requestContext":{"domainName":"d.example","identity":{"sourceIp":"192.0.2.1"}}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var v2 events.APIGatewayV2HTTPRequest
		if json.Unmarshal(payload, &v2) == nil {
			var ev httpAPIEvent
			if err := json.Unmarshal(payload, &ev); err != nil {
				t.Fatalf("aws-lambda-go reads the HTTP API event, httpAPIEvent fails: %v", err)
			}
			c := v2.RequestContext
			want := httpAPIEvent{RawPath: v2.RawPath, RawQueryString: v2.RawQueryString, Cookies: v2.Cookies,
				Headers: v2.Headers, Body: v2.Body, IsBase64Encoded: v2.IsBase64Encoded}
			want.RequestContext.DomainName = c.DomainName
			want.RequestContext.HTTP.Method, want.RequestContext.HTTP.Path = c.HTTP.Method, c.HTTP.Path
			want.RequestContext.HTTP.SourceIP = c.HTTP.SourceIP
			if !reflect.DeepEqual(ev, want) {
				t.Fatalf("httpAPIEvent read %+v, aws-lambda-go %+v", ev, want)
			}
		}
		var v1 events.APIGatewayProxyRequest
		if json.Unmarshal(payload, &v1) == nil {
			var ev restAPIEvent
			if err := json.Unmarshal(payload, &ev); err != nil {
				t.Fatalf("aws-lambda-go reads the REST API event, restAPIEvent fails: %v", err)
			}
			want := restAPIEvent{Path: v1.Path, HTTPMethod: v1.HTTPMethod, Headers: v1.Headers,
				MultiValueHeaders: v1.MultiValueHeaders, QueryStringParameters: v1.QueryStringParameters,
				MultiValueQueryStringParameters: v1.MultiValueQueryStringParameters, Body: v1.Body,
				IsBase64Encoded: v1.IsBase64Encoded}
			want.RequestContext.DomainName = v1.RequestContext.DomainName
			want.RequestContext.Identity.SourceIP = v1.RequestContext.Identity.SourceIP
			if !reflect.DeepEqual(ev, want) {
				t.Fatalf("restAPIEvent read %+v, aws-lambda-go %+v", ev, want)
			}
		}
	})
}

// FuzzMNSBody: an MNS body comes back as it was, or as the JSON object
// whose Base64 it is.
func FuzzMNSBody(f *testing.F) {
	for _, s := range []string{``, `{}`, `eyJHcm91cElEIjoiZGVtbyJ9`, " eyJ9\r\n", `ImEi`, `e30=`, `!!`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := mnsBody(b)
		if bytes.Equal(got, b) {
			return
		}
		if len(got) == 0 || got[0] != '{' || !json.Valid(got) {
			t.Fatalf("mnsBody(%q) = %q, not a JSON object", b, got)
		}
		d, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(bytes.TrimSpace(b))))
		if err != nil || !bytes.Equal(bytes.TrimSpace(d), got) {
			t.Fatalf("mnsBody(%q) = %q, which it does not encode (%v)", b, got, err)
		}
	})
}
