package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/sqlite"
	"github.com/seed4ddb146e/notify/shared/store/storetest"
)

func TestReportsContract(t *testing.T) {
	storetest.RunReports(t, func(t *testing.T) notify.Store {
		return openFile(t, filepath.Join(t.TempDir(), "notify.db"))
	})
}

// BenchmarkRecordReport records the delivery report of a submitted
// message, as the callback function does for each record of a push: the
// match, the insert and the settling of the message, in one transaction.
// "duplicate" pushes one report again and again; "webhook" is "new" for
// the messages of a group with a webhook, whose reports also write their
// event.
func BenchmarkRecordReport(b *testing.B) {
	for _, tc := range []struct {
		name        string
		dup, hooked bool
	}{{"new", false, false}, {"webhook", false, true}, {"duplicate", true, false}} {
		dup := tc.dup
		b.Run(tc.name, func(b *testing.B) {
			ctx := b.Context()
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "notify.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			now := time.Now()
			r := notify.Report{Provider: "aliyun", Channel: notify.SMS, Recipient: "13800138000", Status: notify.Delivered,
				Code: "DELIVERED", Text: "用户接收成功", At: now,
				Raw: []byte(`{"phone_number":"13800138000","success":true,"err_code":"DELIVERED","biz_id":"900619746936498440^0"}`)}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if !dup || i == 0 {
					b.StopTimer()
					m := &notify.Message{ID: fmt.Sprintf("%032x", i), GroupID: "ops", Channel: notify.SMS,
						Recipients: []string{"13800138000"}, Provider: "aliyun", Status: notify.Submitted,
						ProviderID: fmt.Sprintf("%018d^0", i), CreatedAt: now, UpdatedAt: now, Webhook: tc.hooked}
					if err := s.CreateMessage(ctx, m); err != nil {
						b.Fatal(err)
					}
					r.ProviderID = m.ProviderID
					b.StartTimer()
				}
				res, err := s.RecordReport(ctx, r)
				if err != nil || res.Duplicate != (dup && i > 0) || res.Status != notify.Delivered {
					b.Fatalf("push %d: RecordReport = %+v, %v", i, res, err)
				}
				i++
			}
		})
	}
}
