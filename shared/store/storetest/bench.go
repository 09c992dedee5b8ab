package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// The benchmarks every store runs, each from a one-line Benchmark function
// of its own tests, so that the stores' figures measure the same work.

// BenchMessage returns the message and outcome the benchmarks record: one
// verification code to one number, and Aliyun's acceptance of it.
func BenchMessage() (*notify.Message, notify.Outcome) {
	now := time.Now()
	m := &notify.Message{GroupID: "ops", Channel: notify.SMS, Recipients: []string{"13800138000"},
		SignName: "阿里云短信测试", Template: "SMS_154950909", Params: `{"code":"123456"}`,
		Provider: "aliyun", Status: notify.Accepted, CreatedAt: now, UpdatedAt: now}
	o := notify.Outcome{Status: notify.Submitted, Provider: "aliyun", ProviderID: "900619746936498440^0",
		RequestID: "F655A8D5-B967-440B-8683-DAD6FF8DE990", At: now}
	return m, o
}

// BenchCreateFinish records a message and its outcome, as a send does.
func BenchCreateFinish(b *testing.B, st notify.Store) {
	ctx := b.Context()
	m, o := BenchMessage()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		m.ID = fmt.Sprintf("%032x", i)
		if err := st.CreateMessage(ctx, m); err != nil {
			b.Fatal(err)
		}
		if err := st.FinishMessage(ctx, m.ID, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchCreateFinishParallel is BenchCreateFinish from 16 goroutines per
// CPU, and reports the slowest op.
func BenchCreateFinishParallel(b *testing.B, st notify.Store) {
	ctx := b.Context()
	var n, worst atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		m, o := BenchMessage()
		for pb.Next() {
			start := time.Now()
			m.ID = fmt.Sprintf("%032x", n.Add(1))
			if err := st.CreateMessage(ctx, m); err != nil {
				b.Error(err)
				return
			}
			if err := st.FinishMessage(ctx, m.ID, o); err != nil {
				b.Error(err)
				return
			}
			d := int64(time.Since(start))
			for w := worst.Load(); d > w && !worst.CompareAndSwap(w, d); w = worst.Load() {
			}
		}
	})
	b.ReportMetric(float64(worst.Load())/1e6, "worst-ms")
}

// BenchTakeQuotas takes what a verification SMS to one number takes: the
// number's minute, hour and day quotas and the group's daily cap. Each
// send goes to a new number a second after the one before, so that most
// takes insert three rows and update one, and minute windows end and are
// swept as they would be.
func BenchTakeQuotas(b *testing.B, st notify.LimitStore) {
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		key := fmt.Sprintf("sms:verification:ops:138%08d:", i)
		qs := []notify.Quota{
			{Key: key + "m", Max: 1, Window: time.Minute},
			{Key: key + "h", Max: 5, Window: time.Hour},
			{Key: key + "d", Max: 10, Window: 24 * time.Hour},
			{Key: "group:ops:d", Max: 1 << 30, Window: 24 * time.Hour},
		}
		if refused, _, err := st.TakeQuotas(b.Context(), at.Add(time.Duration(i)*time.Second), qs); err != nil || refused != -1 {
			b.Fatalf("TakeQuotas = %d, %v", refused, err)
		}
		i++
	}
}

// BenchVerifyCode checks a code as POST /sms/code/verify does. "mismatch"
// checks one code with a wrong guess again and again (its limit set out of
// reach); "issue+verify" sends a code and checks it right, a whole round.
func BenchVerifyCode(b *testing.B, st notify.CodeStore) {
	ctx := b.Context()
	secret := []byte("a code secret of at least 32 bytes")
	key := notify.CodeKey{GroupID: "ops", PhoneNumber: "13800138000", Scene: "login"}
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	// Each issue is a minute after the one before, past the cooldown,
	// whichever run of which sub-benchmark made it (-count reruns them).
	n := 0
	issue := func(code notify.Code) ([]byte, time.Time) {
		n++
		issuedAt := at.Add(time.Duration(n) * time.Minute)
		c := notify.IssuedCode{Key: key, Hash: notify.HashCode(secret, key, code), MessageID: "m",
			IssuedAt: issuedAt, ExpiresAt: issuedAt.Add(5 * time.Minute)}
		if err := st.IssueCode(ctx, c, time.Minute); err != nil {
			b.Fatal(err)
		}
		return c.Hash, issuedAt
	}
	b.Run("mismatch", func(b *testing.B) {
		_, issuedAt := issue("123456")
		wrong := [][]byte{notify.HashCode(secret, key, "654321")}
		b.ReportAllocs()
		for b.Loop() {
			if res, err := st.VerifyCode(ctx, key, wrong, issuedAt.Add(time.Second), 1<<30); err != nil || res.Reason != notify.CodeMismatch {
				b.Fatalf("VerifyCode = %+v, %v", res, err)
			}
		}
	})
	b.Run("issue+verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h, issuedAt := issue("123456")
			if res, err := st.VerifyCode(ctx, key, [][]byte{h}, issuedAt.Add(time.Second), 5); err != nil || !res.Verified {
				b.Fatalf("VerifyCode = %+v, %v", res, err)
			}
		}
	})
}

// BenchRecordReport records the delivery report of a submitted message,
// as the callback function does for each record of a push: the match, the
// insert and the settling of the message, in one transaction. "duplicate"
// pushes one report again and again; "webhook" is "new" for the messages
// of a group with a webhook, whose reports also write their event. open
// returns a new, empty store for each.
func BenchRecordReport(b *testing.B, open func(b *testing.B) notify.Store) {
	for _, tc := range []struct {
		name        string
		dup, hooked bool
	}{{"new", false, false}, {"webhook", false, true}, {"duplicate", true, false}} {
		dup := tc.dup
		b.Run(tc.name, func(b *testing.B) {
			ctx := b.Context()
			s := open(b)
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
