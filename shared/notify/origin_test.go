package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// TestRequestKeyLife: a named request's message answers a retry for
// RequestKeyTTL, across the end of a period, and not after: then the name
// is a new request, and is sent.
func TestRequestKeyLife(t *testing.T) {
	s := newCodeService(t)
	// Three minutes before a period ends.
	period := int64(notify.RequestKeyTTL / time.Second)
	s.clock.now = time.Unix((s.clock.now.Unix()/period+1)*period-180, 0).UTC()
	send := func() notify.Sent {
		t.Helper()
		ctx := notify.WithRequestKey(context.Background(), "reminder-1#abc")
		sent, err := s.SendSMS(ctx, notify.SMSRequest{Credentials: notify.Credentials{GroupID: "shop"},
			PhoneNumbers: []string{"13800138000"}, SignName: "冰鉴科技", TemplateCode: "SMS_184105379",
			Params: map[string]string{"code": "1234"}})
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		return sent
	}
	start := s.clock.Now()
	first := send()
	for _, step := range []struct {
		after time.Duration
		sends int
	}{
		{time.Minute, 1},                           // the same period
		{5 * time.Minute, 1},                       // the next period
		{notify.RequestKeyTTL - 10*time.Minute, 1}, // nearly a day after the first
		{20 * time.Minute, 2},                      // over a day: sent again
	} {
		s.clock.Add(step.after)
		again := send()
		if n := len(s.fake.Sends()); n != step.sends {
			t.Fatalf("%v after the first: %d sends, want %d", s.clock.Now().Sub(start), n, step.sends)
		}
		if step.sends == 1 && (again.MessageID != first.MessageID || again.Message != "OK (already sent)") {
			t.Errorf("retry: %+v; want the first message, already sent", again)
		}
	}
}
