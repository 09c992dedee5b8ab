package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// RunQuotaCreator is the contract of CreateMessageTakingQuotas: all or
// none. A message recorded with its quotas reads back and its quotas are
// counted; a quota at its Max, a queue key held, or an id taken records
// nothing and counts nothing.
func RunQuotaCreator(t *testing.T, open func(t *testing.T) notify.Store) {
	ctx := context.Background()
	quota := func(key string) []notify.Quota {
		return []notify.Quota{{Key: key, Max: 1, Window: time.Minute}, {Key: "group:g:d", Max: 100, Window: 24 * time.Hour}}
	}
	message := func(id, queueKey string) *notify.Message {
		return &notify.Message{ID: id, GroupID: "g", Channel: notify.SMS, Recipients: []string{"13800138000"},
			SignName: "s", Template: "t", Params: "{}", QueueKey: queueKey, Provider: "aliyun", Status: notify.Accepted,
			CreatedAt: limitAt, UpdatedAt: limitAt}
	}
	t.Run("recorded and counted", func(t *testing.T) {
		st := open(t)
		refused, _, err := st.CreateMessageTakingQuotas(ctx, message("m1", ""), limitAt, quota("k1"))
		if err != nil || refused != -1 {
			t.Fatalf("= %d, %v; want -1, nil", refused, err)
		}
		if _, err := st.Message(ctx, "m1"); err != nil {
			t.Errorf("the message: %v", err)
		}
		if refused, _, _ := st.TakeQuotas(ctx, limitAt, quota("k1")[:1]); refused != 0 {
			t.Errorf("the quota of Max 1 took a second use; want it counted once already")
		}
	})
	t.Run("over a quota: nothing", func(t *testing.T) {
		st := open(t)
		if _, _, err := st.TakeQuotas(ctx, limitAt, quota("k2")[:1]); err != nil {
			t.Fatal(err)
		}
		refused, wait, err := st.CreateMessageTakingQuotas(ctx, message("m2", ""), limitAt, quota("k2"))
		if err != nil || refused != 0 || wait != minuteLeft {
			t.Fatalf("= %d, %v, %v; want 0, %v, nil", refused, wait, err, minuteLeft)
		}
		if _, err := st.Message(ctx, "m2"); notify.AsError(err).Reason != "not_found" {
			t.Errorf("the refused message was recorded: %v", err)
		}
		checkGroupUses(t, st, 100)
	})
	t.Run("queue key held: conflict, nothing counted", func(t *testing.T) {
		st := open(t)
		if err := st.CreateMessage(ctx, message("m3", "sqs:1")); err != nil {
			t.Fatal(err)
		}
		_, _, err := st.CreateMessageTakingQuotas(ctx, message("m4", "sqs:1"), limitAt, quota("k3"))
		if e := notify.AsError(err); e.Kind != notify.Conflict || e.Reason != "duplicate_queue_message" {
			t.Fatalf("= %v; want a duplicate_queue_message conflict", err)
		}
		if refused, _, _ := st.TakeQuotas(ctx, limitAt, quota("k3")[:1]); refused != -1 {
			t.Errorf("the quota was counted by the refused create")
		}
		checkGroupUses(t, st, 100)
	})
	t.Run("id taken", func(t *testing.T) {
		st := open(t)
		if err := st.CreateMessage(ctx, message("m5", "")); err != nil {
			t.Fatal(err)
		}
		_, _, err := st.CreateMessageTakingQuotas(ctx, message("m5", ""), limitAt, quota("k4"))
		if e := notify.AsError(err); e.Kind != notify.Internal || e.Reason != "duplicate_id" {
			t.Fatalf("= %v; want duplicate_id", err)
		}
	})
}

// checkGroupUses checks that the group quota of RunQuotaCreator, of Max
// 100, takes exactly left more uses.
func checkGroupUses(t *testing.T, st notify.Store, left int) {
	t.Helper()
	q := []notify.Quota{{Key: "group:g:d", Max: 100, Window: 24 * time.Hour}}
	for i := range left {
		if refused, _, err := st.TakeQuotas(context.Background(), limitAt, q); err != nil || refused != -1 {
			t.Fatalf("group quota take %d of %d left: %d, %v", i+1, left, refused, err)
		}
	}
	if refused, _, _ := st.TakeQuotas(context.Background(), limitAt, q); refused != 0 {
		t.Errorf("the group quota took more than %d more uses", left)
	}
}
