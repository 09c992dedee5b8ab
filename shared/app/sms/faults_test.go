package sms_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/app/apptest"
	smsapp "github.com/seed4ddb146e/notify/shared/app/sms"
	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/dysmsapi"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/sqlite"
)

// finishFails is a real store whose outcome writes fail, as when the
// database goes down between recording a message and its outcome.
type finishFails struct{ *sqlite.Store }

func (finishFails) FinishMessage(context.Context, string, notify.Outcome) error {
	return errors.New("database is down")
}

// gatewayOver is the sms function wired as in production over a real
// SQLite store that wrap dresses (to make some of its calls fail), sending
// to a fake Dysmsapi. Records are read from the store undressed.
func gatewayOver(t *testing.T, wrap func(*sqlite.Store) notify.Store) *gateway {
	t.Helper()
	apptest.NoProxy()
	fake := dysmsapi.New(dysmsapi.Config{AccessKeyID: akID, AccessKeySecret: akSecret})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	vars := map[string]string{"NOTIFY_GROUPS": groups, "ALIBABA_CLOUD_ACCESS_KEY_ID": akID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": akSecret, "NOTIFY_ALIYUN_SMS_ENDPOINT": srv.URL}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "notify.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := smsapp.New(t.Context(), cfg, wrap(st), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &gateway{Function: &apptest.Function{Handler: h, Store: st}, fake: fake}
}

// Store down after the send: the reply says the message went out and its
// outcome is unrecorded, and a queue redelivery does not send it again.
func TestStoreDownAfterSend(t *testing.T) {
	t.Parallel()
	g := gatewayOver(t, func(st *sqlite.Store) notify.Store { return finishFails{st} })
	fake := g.fake

	var rep struct{ Code, BizId, MessageId, Warning string }
	status, _ := g.Post(t, "/sms", seedBody, nil, 5*time.Second, &rep)
	if status != 200 || rep.Code != "OK" || rep.BizId == "" || rep.Warning != httpapi.UnrecordedWarning {
		t.Fatalf("reply %d %+v; want OK with the unrecorded warning", status, rep)
	}
	if m := g.Record(t, rep.MessageId); m.Status != notify.Accepted {
		t.Errorf("record status %s; want accepted (the outcome was not written)", m.Status)
	}

	// From a queue: the first delivery is sent, the redelivery finds the
	// accepted record and does not send again. Young, the record may be
	// another delivery's send under way: 409, which the queue retries
	// (after InFlightFor it is 202 in doubt: TestQueueRedeliveryInFlight).
	if status, rep := g.postQueued(t, seedBody, "m-1"); status != 200 {
		t.Fatalf("queued: %d %+v", status, rep)
	}
	status, again := g.postQueued(t, seedBody, "m-1")
	if status != 409 || again.Reason != "in_flight" {
		t.Errorf("redelivery: %d %+v; want 409 in_flight", status, again)
	}
	if n := len(fake.Sends()); n != 2 {
		t.Errorf("the provider sent %d messages, want 2 (one HTTP, one queued)", n)
	}
}

// TestEndpointNotTLS: the Dysmsapi endpoint is given as host:port (so
// https) but the port speaks plain HTTP. The TLS handshake fails before
// the request is written: nothing can have been sent, so the reply is
// 502, not 504 "maybe sent", and the record is failed.
func TestEndpointNotTLS(t *testing.T) {
	t.Parallel()
	fake := dysmsapi.New(dysmsapi.Config{AccessKeyID: akID, AccessKeySecret: akSecret})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	g := newGateway(t, map[string]string{"NOTIFY_ALIYUN_SMS_ENDPOINT": strings.TrimPrefix(srv.URL, "http://")})
	status, rep, _ := g.post(t, seedBody, nil, 5*time.Second)
	if status != 502 || rep.MessageId == "" {
		t.Fatalf("reply %d %+v; want 502 with the message's id", status, rep)
	}
	if m := g.Record(t, rep.MessageId); m.Status != notify.Failed {
		t.Errorf("record status %s; want failed", m.Status)
	}
	if fake.Requests() != 0 {
		t.Errorf("the fake got %d requests", fake.Requests())
	}
}

// finishFailsOnce is a real store whose first outcome write fails, as
// when a connection dies under it.
type finishFailsOnce struct {
	*sqlite.Store
	failed atomic.Bool
}

func (s *finishFailsOnce) FinishMessage(ctx context.Context, id string, o notify.Outcome) error {
	if s.failed.CompareAndSwap(false, true) {
		return errors.New("connection reset by peer")
	}
	return s.Store.FinishMessage(ctx, id, o)
}

// An outcome write that fails once is written again: the reply carries no
// warning, and the record is submitted, not left accepted.
func TestOutcomeWrittenAgain(t *testing.T) {
	t.Parallel()
	g := gatewayOver(t, func(st *sqlite.Store) notify.Store { return &finishFailsOnce{Store: st} })
	var rep struct{ Code, BizId, MessageId, Warning string }
	status, _ := g.Post(t, "/sms", seedBody, nil, 5*time.Second, &rep)
	if status != 200 || rep.Code != "OK" || rep.Warning != "" {
		t.Fatalf("reply %d %+v; want OK with no warning", status, rep)
	}
	if m := g.Record(t, rep.MessageId); m.Status != notify.Submitted || m.ProviderID != rep.BizId {
		t.Errorf("record %s, provider id %q; want submitted, %q", m.Status, m.ProviderID, rep.BizId)
	}
}
