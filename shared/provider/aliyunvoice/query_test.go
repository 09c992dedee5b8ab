package aliyunvoice_test

import (
	"context"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dyvmsapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/aliyunvoice"
	"github.com/seed4ddb146e/notify/shared/provider/internal/aliyun/aliyuntest"
)

// TestQueryAcrossMidnight: a call recorded just before midnight, Beijing
// time, that reached Aliyun just after it is on the next day at Aliyun
// (QueryDate names the day of the call): it is found there.
func TestQueryAcrossMidnight(t *testing.T) {
	midnight := time.Date(2027, 1, 1, 0, 0, 0, 0, notify.Beijing) // a new year
	recorded := midnight.Add(-800 * time.Millisecond)
	for _, tt := range []struct {
		name  string
		taken time.Time // when Aliyun took the call
	}{
		{"taken the same day", midnight.Add(-300 * time.Millisecond)},
		{"taken after midnight", midnight.Add(400 * time.Millisecond)},
		{"taken as late as a send may run", recorded.Add(notify.InFlightFor - time.Millisecond)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := aliyuntest.Setup(t, dyvmsapi.New, aliyunvoice.New)
			fake.SetClock(func() time.Time { return tt.taken })
			rc, err := c.Call(context.Background(), call)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			m := &notify.Message{ID: call.ID, Channel: notify.Voice, Provider: aliyunvoice.Name, ProviderID: rc.ProviderID,
				Recipients: []string{"+8613800138000"}, CreatedAt: recorded}
			reports, err := c.Query(context.Background(), m)
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			if len(reports) != 1 || reports[0].Status != notify.Delivered {
				t.Errorf("reports %+v; want the call Aliyun took at %v, answered", reports, tt.taken)
			}
		})
	}
}
