package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// A backlog of unsettled messages whose provider answers lookups slowly
// does not keep the scheduled work from escalating a code in time: the
// code lives minutes, the lookups can wait for the next run.
func TestTickEscalatesBehindSlowLookups(t *testing.T) {
	t.Parallel()
	e, svc := slowBacklog(t)
	e.sendCode(t, svc, "13800138000", "login")
	e.clock.set(e.start.Add(escAfter))
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	r, err := svc.Tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Escalated != 1 || len(e.voice.Calls()) != 1 {
		t.Errorf("tick %+v, %d calls; want the due code escalated, one call", r, len(e.voice.Calls()))
	}
}

// slowBacklog returns an escalation test whose Aliyun answers lookups
// (QuerySendDetails) in 400 ms, and its service, with 40 codes sent ten
// minutes before its start: expired, their messages submitted with no
// report yet.
func slowBacklog(t *testing.T) (*escalation, *notify.Service) {
	t.Helper()
	e := newEscalation(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"))
	e.env["NOTIFY_ALIYUN_SMS_ENDPOINT"] = slowAction(t, e.ali, "QuerySendDetails", 400*time.Millisecond)
	svc, _ := e.service(t)
	e.clock.set(e.start.Add(-10 * time.Minute))
	for i := range 40 {
		if _, err := svc.SendCode(context.Background(), notify.CodeRequest{Credentials: shopKey,
			PhoneNumber: fmt.Sprintf("139001390%02d", i), Scene: "plain"}); err != nil {
			t.Fatal(err)
		}
	}
	return e, svc
}

// slowAction serves h, answering action (an ACS3 or RPC call) after d.
func slowAction(t *testing.T, h http.Handler, action string, d time.Duration) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-acs-action") == action || r.URL.Query().Get("Action") == action {
			time.Sleep(d)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A run that has time for fewer calls than there are codes due claims
// no more than it can send: a code claimed and not sent is never sent.
func TestTickEscalationsCutOff(t *testing.T) {
	t.Parallel()
	e := newEscalation(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"))
	e.env["NOTIFY_ALIYUN_VOICE_ENDPOINT"] = slowAction(t, e.voice, "SingleCallByTts", 1500*time.Millisecond)
	svc, _ := e.service(t)
	const codes = 6
	for i := range codes {
		e.sendCode(t, svc, fmt.Sprintf("138001381%02d", i), "login")
	}
	for i := range 4 {
		e.clock.set(e.start.Add(escAfter + time.Duration(i)*20*time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
		svc.Tick(ctx)
		cancel()
	}
	if n := len(e.voice.Calls()); n != codes {
		t.Errorf("%d calls; want every one of the %d codes called, over the runs", n, codes)
	}
}

// A backlog of lookups that would take every run's whole time does not
// keep a run from deleting what expired: with a backlog that never ends
// (unsettled messages are asked about again every few minutes for 72
// hours), nothing would ever be deleted.
func TestTickPurgesBehindSlowLookups(t *testing.T) {
	t.Parallel()
	e, svc := slowBacklog(t)
	e.clock.set(e.start)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	r, err := svc.Tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Checked == 0 || r.Purged.Codes != 40 {
		t.Errorf("tick %+v; want some messages checked, and the 40 expired codes deleted", r)
	}
}

// A retention shorter than the time the scheduled work may still ask a
// provider about a message (SettleWithin) does not delete the message
// while it may: a report or a lookup still settles it, and its webhook
// events are still retried.
func TestTickKeepsWhatItMaySettle(t *testing.T) {
	t.Parallel()
	e := newEscalation(t, "sqlite:"+filepath.Join(t.TempDir(), "notify.db"))
	e.env["NOTIFY_RETENTION_DAYS"] = "1"
	svc, st := e.service(t)
	e.clock.set(e.start.Add(-50 * time.Hour))
	sent, err := svc.SendCode(context.Background(), notify.CodeRequest{Credentials: shopKey, PhoneNumber: "13900139000",
		Scene: "plain"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.set(e.start)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	r, err := svc.Tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Message(context.Background(), sent.MessageID); err != nil || r.Purged.Messages != 0 {
		t.Errorf("tick %+v; Message: %v; want the 50-hour-old message kept", r, err)
	}
	// Past SettleWithin, the retention applies.
	e.clock.set(e.start.Add(notify.SettleWithin))
	if r, err = svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Message(context.Background(), sent.MessageID); notify.KindOf(err) != notify.NotFound || r.Purged.Messages != 1 {
		t.Errorf("tick %+v; Message: %v; want the message deleted once it is older than 72 hours", r, err)
	}
}
