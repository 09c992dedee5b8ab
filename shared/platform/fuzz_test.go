package platform

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// FuzzInvoke feeds arbitrary payloads to the detector and the adapters. They
// must never panic, a recognised payload must not fail detection twice in
// different ways, and every successful invocation must answer JSON.
func FuzzInvoke(f *testing.F) {
	// The sample events, the timer's among them, seed the corpus.
	for _, pattern := range []string{"testdata/events/*.json", "../../events/*/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
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
		}
	})
}

// ticking is a handler whose scheduled work does nothing.
type ticking struct{ http.Handler }

func (ticking) Tick(context.Context) error { return nil }
