package aliyunsms_test

import (
	"context"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/aliyunsms"
	"github.com/seed4ddb146e/notify/shared/provider/internal/aliyun/aliyuntest"
)

// TestQueryAcrossMidnight: a message recorded just before midnight,
// Beijing time, whose SendSms reached Aliyun just after it, is on the
// next day's list at Aliyun (SendDate is the day Aliyun took it): it is
// found there, by its BizId and, without one, by its OutId.
func TestQueryAcrossMidnight(t *testing.T) {
	midnight := time.Date(2028, 3, 1, 0, 0, 0, 0, notify.Beijing) // after a leap day
	recorded := midnight.Add(-800 * time.Millisecond)
	for _, tt := range []struct {
		name  string
		taken time.Time // when Aliyun took the send
	}{
		{"taken the same day", midnight.Add(-300 * time.Millisecond)},
		{"taken after midnight", midnight.Add(400 * time.Millisecond)},
		{"taken as late as a send may run", recorded.Add(notify.InFlightFor - time.Millisecond)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := aliyuntest.Setup(t, dysmsapi.New, aliyunsms.New)
			fake.SetClock(func() time.Time { return tt.taken })
			rc, err := c.SendSMS(context.Background(), message)
			if err != nil {
				t.Fatalf("SendSMS: %v", err)
			}
			m := &notify.Message{ID: message.ID, Channel: notify.SMS, Provider: aliyunsms.Name,
				Recipients: []string{"+8613800138000"}, Template: message.TemplateCode, CreatedAt: recorded}
			for _, by := range []struct{ name, providerID string }{{"by BizId", rc.ProviderID}, {"by OutId", ""}} {
				m.ProviderID = by.providerID
				reports, err := c.Query(context.Background(), m)
				if err != nil {
					t.Fatalf("%s: Query: %v", by.name, err)
				}
				if len(reports) != 1 || reports[0].Status != notify.Delivered {
					t.Errorf("%s: reports %+v; want the SMS Aliyun took at %v, delivered", by.name, reports, tt.taken)
				}
			}
		})
	}
}
