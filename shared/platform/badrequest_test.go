package platform

import (
	"context"
	"encoding/json"
	"testing"
)

// TestMalformedRequest: an HTTP event whose request cannot be built (a
// caller's path with a bad percent-escape, a method that is no token, a
// body that is not the base64 the event says) is answered 4xx in the
// event's shape, naming what is wrong, without reaching the handler. It
// failed the invocation before, which API Gateway, a function URL and
// FC's HTTP trigger answer 5xx.
func TestMalformedRequest(t *testing.T) {
	tests := []struct {
		name, payload string
		status        int
		reason        string
	}{
		{"httpapi path", `{"version":"2.0","routeKey":"$default","rawPath":"/sms%zz","headers":{},"requestContext":{"http":{"method":"POST","path":"/sms%zz"}},"body":"{}"}`,
			404, "no_such_route"},
		{"function url path", `{"version":"2.0","rawPath":"/%zz","headers":{},"requestContext":{"domainName":"x.lambda-url.us-east-1.on.aws","http":{"method":"POST"}}}`,
			404, "no_such_route"},
		{"fc path", `{"version":"v1","rawPath":"/sms%zz","headers":{},"queryParameters":{},"requestContext":{"http":{"method":"POST","path":"/sms%zz"}},"body":"{}"}`,
			404, "no_such_route"},
		{"fc relative path", `{"version":"v1","rawPath":"sms","requestContext":{"http":{"method":"POST"}}}`, 404, "no_such_route"},
		{"httpapi method", `{"version":"2.0","rawPath":"/sms","requestContext":{"http":{"method":"PO ST"}}}`, 405, "method_not_allowed"},
		{"rest base64", `{"path":"/sms","httpMethod":"POST","requestContext":{},"body":"!!!","isBase64Encoded":true}`, 400, "unreadable_body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			f, err := New(rec, Options{Name: "sms"})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := f.Invoke(WithRequestID(context.Background(), "req-bad"), []byte(tt.payload))
			if err != nil {
				t.Fatalf("Invoke failed: %v; want a %d reply", err, tt.status)
			}
			var out struct {
				StatusCode int    `json:"statusCode"`
				Body       string `json:"body"`
			}
			if err := json.Unmarshal(resp, &out); err != nil {
				t.Fatalf("response %s: %v", resp, err)
			}
			var body struct{ Code, Message, RequestId, Reason string }
			if err := json.Unmarshal([]byte(out.Body), &body); err != nil {
				t.Fatalf("reply body %q is not JSON: %v", out.Body, err)
			}
			if out.StatusCode != tt.status || body.Code != "ERROR" || body.Reason != tt.reason || body.Message == "" ||
				body.RequestId != "req-bad" {
				t.Errorf("reply %d %+v; want %d ERROR with Reason %s and a Message", out.StatusCode, body, tt.status, tt.reason)
			}
			if n := len(rec.requests()); n != 0 {
				t.Errorf("the handler saw %d requests, want none", n)
			}
		})
	}
}
