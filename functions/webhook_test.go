package functions_test

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/jackc/pgx/v5"

	"github.com/seed4ddb146e/notify/shared/fake/receiver"
	"github.com/seed4ddb146e/notify/shared/fake/runtimeapi"
)

// TestWebhookAfterCrash: the sms binary sends an SMS; the callback binary
// records Aliyun's report for it and is killed (SIGKILL) before any
// scheduled work runs, so the webhook event was never delivered. A new
// instance's timer event delivers it, over https to a receiver that
// checks the signature itself: the event was written with the report, in
// its transaction, and is not lost with the process.
func TestWebhookAfterCrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	db := database(t)
	bins := binaries(t)
	_, aliyun := fakeAliyun(t)
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwYm9va3M="
	recv := receiver.New(secret)
	srv := httptest.NewTLSServer(recv)
	t.Cleanup(srv.Close)
	// The children trust the receiver's certificate, and may reach it on
	// 127.0.0.1 as an operator allows for receivers inside its network.
	certFile := filepath.Join(t.TempDir(), "receiver.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(certFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	hooked := fmt.Sprintf(`[{"id":"demo","channels":["sms"],"webhook":{"url":%q,"secret":%q}}]`, srv.URL+"/hooks", secret)
	extra := append(aliyun, "NOTIFY_GROUPS="+hooked, "NOTIFY_WEBHOOK_ALLOW_PRIVATE=true", "SSL_CERT_FILE="+certFile)

	smsEmu := runtimeapi.NewLambda()
	t.Cleanup(smsEmu.Close)
	sms := startChild(t, filepath.Join(bins, "sms"), env(smsEmu, db, extra...))
	res, err := sms.invoke(smsEmu, httpEvent(t, "/sms",
		`{"GroupID":"demo","PhoneNumbers":"13800138000","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":"123456"}`))
	var reply struct {
		StatusCode int
		Body       string
	}
	if err != nil || json.Unmarshal(res, &reply) != nil || reply.StatusCode != 200 {
		t.Fatalf("send: %s, %v\n%s", res, err, sms.out)
	}
	var sent struct{ BizId string }
	if err := json.Unmarshal([]byte(reply.Body), &sent); err != nil || sent.BizId == "" {
		t.Fatalf("send reply %s: no BizId", reply.Body)
	}

	cbEmu := runtimeapi.NewLambda()
	t.Cleanup(cbEmu.Close)
	cb := startChild(t, filepath.Join(bins, "callback"), env(cbEmu, db, extra...))
	push := fmt.Sprintf(`[{"phone_number":"13800138000","send_time":"2026-12-03 10:00:00","report_time":"2026-12-03 10:00:05",
		"success":true,"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"1","biz_id":%q,"out_id":""}]`, sent.BizId)
	res, err = cb.invoke(cbEmu, httpEvent(t, "/callback/"+callbackToken+"/aliyun/sms-report", push))
	if err != nil || json.Unmarshal(res, &reply) != nil || reply.StatusCode != 200 {
		t.Fatalf("report: %s, %v\n%s", res, err, cb.out)
	}
	cb.stop() // SIGKILL: the report is recorded, its event not delivered
	if states := eventStates(t, db); len(states) != 1 || states[0] != "pending" {
		t.Fatalf("events after the crash: %v; want one, pending", states)
	}
	if len(recv.Deliveries()) != 0 {
		t.Fatal("the receiver got the event before any scheduled work ran")
	}

	tickEmu := runtimeapi.NewLambda()
	t.Cleanup(tickEmu.Close)
	next := startChild(t, filepath.Join(bins, "callback"), env(tickEmu, db, extra...))
	timer, err := os.ReadFile(filepath.Join(root, "events", "callback", "scheduler.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := next.invoke(tickEmu, timer); err != nil || string(res) != "null" {
		t.Fatalf("timer: %s, %v\n%s", res, err, next.out)
	}
	ds := recv.Deliveries()
	if len(ds) != 1 || !ds[0].Signed || ds[0].Status != 204 {
		t.Fatalf("deliveries %+v; want one, signed, taken\n%s", ds, next.out)
	}
	var body struct {
		Type string `json:"type"`
		Data struct {
			ProviderID string `json:"provider_id"`
			Recipient  string `json:"recipient"`
		} `json:"data"`
	}
	if err := json.Unmarshal(ds[0].Body, &body); err != nil || body.Type != "message.delivered" ||
		body.Data.ProviderID != sent.BizId || body.Data.Recipient != "13800138000" {
		t.Errorf("event %s; want message.delivered of %s to 13800138000", ds[0].Body, sent.BizId)
	}
	if states := eventStates(t, db); len(states) != 1 || states[0] != "delivered" {
		t.Errorf("events after the tick: %v; want one, delivered", states)
	}
}

// httpEvent is an API Gateway HTTP API event of POST path with body.
func httpEvent(t *testing.T, path, body string) []byte {
	t.Helper()
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "POST " + path, RawPath: path, Body: body,
		Headers: map[string]string{"content-type": "application/json"}}
	ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = "POST", path
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eventStates lists the states of the webhook events in db.
func eventStates(t *testing.T, db string) []string {
	t.Helper()
	var states []string
	query(t, db, `SELECT state FROM events ORDER BY id`, func(rows pgx.Rows) error {
		var s string
		err := rows.Scan(&s)
		states = append(states, s)
		return err
	})
	return states
}
