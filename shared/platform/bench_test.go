package platform

import (
	"context"
	"io"
	"net/http"
	"os"
	"testing"
)

// BenchmarkInvoke measures the in-process cost of the adapters: detect,
// decode, build the request, serve a trivial handler, encode the response.
func BenchmarkInvoke(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"Code":"OK","Message":"OK","RequestId":"r","BizId":"b"}`)
	})
	f, err := New(h, Options{Name: "bench", QueuePath: "/sms"})
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"apigw-http", "apigw-rest", "fc-http", "sqs-batch", "cloudevent"} {
		payload, err := os.ReadFile("testdata/events/" + name + ".json")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			ctx := WithRequestID(context.Background(), "bench")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
