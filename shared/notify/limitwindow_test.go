package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// TestLimitWindowsOnTheClock: a per-minute limit counts the sends of each
// minute of the clock, as README.md (Limits) says: a send at 12:00:59.9 and
// one at 12:01:00.1 are in two minutes, and both go; another within the
// second minute is refused until it ends.
func TestLimitWindowsOnTheClock(t *testing.T) {
	s := newCodeService(t, func(d *notify.Deps) {
		d.Groups = notify.NewGroups([]notify.Group{{ID: "shop", Channels: []notify.Channel{notify.SMS},
			Limits: &notify.Limits{Verification: notify.Window{PerMinute: 1}}}})
	})
	s.clock.now = time.Date(2026, 11, 24, 12, 0, 59, 900_000_000, notify.Beijing)
	send := func() error {
		_, err := s.SendSMS(context.Background(), notify.SMSRequest{Credentials: notify.Credentials{GroupID: "shop"},
			PhoneNumbers: []string{"13800138000"}, SignName: "冰鉴科技", TemplateCode: "SMS_184105379",
			Params: map[string]string{"code": "1234"}})
		return err
	}
	if err := send(); err != nil {
		t.Fatalf("first send: %v", err)
	}
	s.clock.Add(200 * time.Millisecond)
	if err := send(); err != nil {
		t.Fatalf("a send 200 ms later, in the next minute: %v", err)
	}
	s.clock.Add(30 * time.Second)
	err := send()
	if e := notify.AsError(err); err == nil || e.Reason != notify.ReasonRateLimited || e.RetryAfter != 30*time.Second-100*time.Millisecond {
		t.Fatalf("a third send in that minute: %v; want rate_limited until the minute ends, in 29.9 s", err)
	}
}
