package mail_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/fake/smtpd"
	"github.com/seed4ddb146e/notify/shared/platform"
)

// On AWS Lambda the default attachment limit lets through only what fits
// Lambda's invocation payload: the largest mail it allows, inside the API
// Gateway event that carries it, is still under 6 MB, even were every "/"
// of its base64 escaped.
func TestLambdaAttachmentLimit(t *testing.T) {
	t.Parallel()
	g := newGateway(t, smtpd.Faults{}, map[string]string{
		"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "NOTIFY_MAIL_MAX_ATTACHMENT_BYTES": ""})
	limit := config.MaxAttachmentBytesOn(platform.Lambda)
	data := make([]byte, limit+1) // as random as the compressed files mailed most
	rand.NewChaCha8([32]byte{6}).Read(data)
	body := func(n int) string {
		b, _ := json.Marshal(map[string]any{"group_id": "bc-fmb", "subject": "s", "to": []string{"a@example.com"}, "body": "b",
			"attachments": []map[string]string{{"name": "a.bin", "content_type": "application/octet-stream",
				"content": base64.StdEncoding.EncodeToString(data[:n])}}})
		return string(b)
	}

	largest := body(limit)
	ev, err := json.Marshal(events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "POST /mail", RawPath: "/mail",
		Headers: map[string]string{"content-type": "application/json", "authorization": "Bearer " + string(bytes.Repeat([]byte("k"), 64))},
		Body:    largest})
	if err != nil {
		t.Fatal(err)
	}
	if n := int64(len(ev) + bytes.Count(ev, []byte("/"))); n > platform.Lambda.MaxRequestBytes() {
		t.Errorf("the event of the largest mail is %d bytes; Lambda takes %d", n, platform.Lambda.MaxRequestBytes())
	}
	if status, rep := g.post(t, largest, 30*time.Second); status != 200 {
		t.Errorf("attachments of %d bytes: %d %+v; want 200", limit, status, rep)
	}
	if status, rep := g.post(t, body(limit+1), 30*time.Second); status != 413 || rep.Reason != "attachments_too_large" {
		t.Errorf("attachments of %d bytes: %d %+v; want 413 attachments_too_large", limit+1, status, rep)
	}
}
