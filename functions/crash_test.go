package functions_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/runtimeapi"
)

// TestCrashMidSend: the provider takes SendSms and stalls; the sms binary
// is killed (SIGKILL) before it has the answer, so neither the outcome nor
// the reply of the request is written. A retry with the same
// Idempotency-Key, to a new instance once the key's lease (the first
// invocation's deadline) has run out, finds the message's record and is
// answered from it (504 provider_outcome_unknown, the first MessageId):
// the provider gets one SMS. Then a status query looks the message up at
// the provider by the OutId it went out with, and settles it: delivered.
func TestCrashMidSend(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	db := database(t)
	bin := filepath.Join(binaries(t), "sms")
	fake, aliyun := fakeAliyun(t)
	fake.Fail(acs.AcceptThenSlow(time.Minute).Times(1))

	const body = `{"GroupID":"demo","PhoneNumbers":"13800138000","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":"123456"}`
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "POST /sms", RawPath: "/sms", Body: body,
		Headers: map[string]string{"content-type": "application/json", "idempotency-key": "order-2026-1"}}
	ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = "POST", "/sms"
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}

	emu := runtimeapi.NewLambda()
	t.Cleanup(emu.Close)
	first := startChild(t, bin, env(emu, db, aliyun...))
	const timeout = 3 * time.Second // the first invocation's; its deadline is the key's lease
	leaseEnds := time.Now().Add(timeout)
	go func() {
		_, _ = emu.InvokeWith(context.Background(), runtimeapi.Invocation{Payload: payload, Timeout: timeout})
	}()
	for i := 0; len(fake.Sends()) == 0; i++ {
		if i == 1000 {
			t.Fatalf("the provider never got the SMS\n%s", first.out)
		}
		time.Sleep(5 * time.Millisecond)
	}
	first.stop() // SIGKILL, mid-send
	if rs := records(t, db); len(rs) != 1 || rs[0].status != "accepted" {
		t.Fatalf("records %+v; want the one message, accepted", rs)
	}

	emu2 := runtimeapi.NewLambda()
	t.Cleanup(emu2.Close)
	// Its status query takes a record older than 2 s without the
	// provider's answer for one whose send died.
	second := startChild(t, bin, env(emu2, db, append(aliyun, "NOTIFY_STATUS_RECONCILE_AFTER=2s")...))
	reply := func() (int, map[string]any) {
		t.Helper()
		res, err := second.invoke(emu2, payload)
		if err != nil {
			t.Fatalf("invocation: %v\n%s", err, second.out)
		}
		r := decodeHTTPReply(t, "v2", res)
		var got map[string]any
		if err := json.Unmarshal([]byte(r.body), &got); err != nil {
			t.Fatalf("reply %d %s is not JSON", r.status, r.body)
		}
		return r.status, got
	}
	// Within the lease the first request may still be running.
	if status, got := reply(); status != 409 || got["Reason"] != "idempotency_in_flight" {
		t.Errorf("retry within the lease: %d %v; want 409 idempotency_in_flight", status, got)
	}
	time.Sleep(time.Until(leaseEnds) + 100*time.Millisecond)
	status, got := reply()
	if want := fake.Sends()[0].OutID; status != 504 || got["Reason"] != "provider_outcome_unknown" || got["MessageId"] != want {
		t.Errorf("retry after the lease: %d %v; want 504 provider_outcome_unknown for message %s", status, got, want)
	}
	if n := fake.Requests(); n != 1 {
		t.Errorf("the provider got %d requests, want 1", n)
	}
	if rs := records(t, db); len(rs) != 1 || !strings.HasPrefix(rs[0].queueKey, "http:demo:order-2026-1#") {
		t.Errorf("records %+v; want the one message, named after its key", rs)
	}

	ev = events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "GET /sms/status", RawPath: "/sms/status",
		RawQueryString: "GroupID=demo&MessageId=" + fake.Sends()[0].OutID}
	ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = "GET", "/sms/status"
	if payload, err = json.Marshal(ev); err != nil {
		t.Fatal(err)
	}
	status, got = reply()
	msgs, _ := got["Messages"].([]any)
	if status != 200 || len(msgs) != 1 || msgs[0].(map[string]any)["Status"] != "delivered" {
		t.Errorf("status query: %d %v; want the message, delivered", status, got)
	}
	if rs := records(t, db); len(rs) != 1 || rs[0].status != "delivered" {
		t.Errorf("records %+v; want the one message, delivered", rs)
	}
}
