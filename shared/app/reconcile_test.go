package app_test

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/notify"
)

// TestUnknownSettledByReport: Aliyun takes a message, and the connection
// drops before its answer, so the send is unknown and has no BizId. The
// gateway sent our message id as the OutId, and Aliyun's report echoes
// it: the report, pushed to the callback function, settles the message
// and gives it its BizId. Then reports that overtake a slow answer: one
// naming our id settles the message at once, and the late outcome does not
// undo that; one naming only the caller's OutId is kept as an orphan, and
// the outcome adopts it. On each store.
func TestUnknownSettledByReport(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); unknownSettled(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db")) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); unknownSettled(t, pg.Database(t)) })
}

func unknownSettled(t *testing.T, databaseURL string) {
	srv, fake, st := localServer(t, databaseURL)
	c := srv.Client()
	const number = "13800138000"
	fake.Fail(acs.AcceptThenDrop().Times(1))
	var rep struct{ Code, Reason, MessageId string }
	body := `{"GroupID":"load","PhoneNumbers":"` + number + `","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":{"name":"x"}}`
	if status := postJSON(c, srv.URL+"/sms", body, &rep); status != http.StatusGatewayTimeout || rep.Reason != "provider_outcome_unknown" {
		t.Fatalf("send with the answer dropped: %d %+v; want 504 provider_outcome_unknown", status, rep)
	}
	sends := fake.Sends()
	if len(sends) != 1 || sends[0].OutID != rep.MessageId {
		t.Fatalf("the provider took %+v; want one send with OutId %q", sends, rep.MessageId)
	}
	m, err := st.Message(t.Context(), rep.MessageId)
	if err != nil || m.Status != notify.Unknown || m.ProviderID != "" {
		t.Fatalf("record %+v, %v; want unknown, without a provider id", m, err)
	}

	push := func(bizID, outID string) {
		t.Helper()
		report := `[{"phone_number":"` + number + `","send_time":"2026-11-24 10:00:00","report_time":"2026-11-24 10:00:03",` +
			`"success":true,"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"1","biz_id":"` + bizID + `","out_id":"` + outID + `"}]`
		var ack struct{ Code *int }
		if status := postJSON(c, srv.URL+"/callback/"+loadToken+"/aliyun/sms-report", report, &ack); status != 200 || ack.Code == nil || *ack.Code != 0 {
			t.Fatalf("report push: %d %+v", status, ack)
		}
	}
	push(sends[0].BizID, sends[0].OutID)
	m, err = st.Message(t.Context(), rep.MessageId)
	if err != nil || m.Status != notify.Delivered || m.ProviderID != sends[0].BizID {
		t.Fatalf("after the report: %+v, %v; want delivered, with BizId %q", m, err, sends[0].BizID)
	}

	for i, outID := range []string{"", "order-1"} {
		fake.Fail(acs.AcceptThenSlow(2 * time.Second).Times(1))
		body := `{"GroupID":"load","PhoneNumbers":"` + number + `","SignName":"notify","TemplateCode":"SMS_0001",` +
			`"TemplateParam":{"name":"x"},"OutId":"` + outID + `"}`
		done := make(chan int, 1)
		var rep struct{ Code, MessageId string }
		go func() { done <- postJSON(c, srv.URL+"/sms", body, &rep) }()
		for len(fake.Sends()) < 2+i {
			time.Sleep(5 * time.Millisecond)
		}
		s := fake.Sends()[1+i]
		push(s.BizID, s.OutID)
		orphans, err := st.(notify.ReportStore).Reports(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		if outID == "" && len(orphans) != 0 || outID != "" && (len(orphans) != 1 || orphans[0].ProviderID != s.BizID) {
			t.Fatalf("OutId %q: orphans %+v before the answer; want the report as one only without our id", outID, orphans)
		}
		if status := <-done; status != 200 || rep.Code != "OK" {
			t.Fatalf("OutId %q: the slow send: %d %+v", outID, status, rep)
		}
		m, err := st.Message(t.Context(), rep.MessageId)
		if err != nil || m.Status != notify.Delivered || m.ProviderID != s.BizID {
			t.Fatalf("OutId %q: after the answer: %+v, %v; want delivered, with BizId %q", outID, m, err, s.BizID)
		}
		if rs, err := st.(notify.ReportStore).Reports(t.Context(), rep.MessageId); err != nil || len(rs) != 1 {
			t.Fatalf("OutId %q: the message's reports: %+v, %v; want the one pushed", outID, rs, err)
		}
	}
}
