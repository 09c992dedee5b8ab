package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
	"github.com/seed4ddb146e/notify/shared/store/postgres/pgtest"
)

// TestRollbackFrozen: the server freezes as the ROLLBACK after a conflict
// goes out. The call must still end by its deadline and give its
// connection's slot back, not wait for the server as long as it is frozen.
func TestRollbackFrozen(t *testing.T) {
	var server pgtest.Cluster // a server of its own: the other tests never see it frozen
	t.Cleanup(func() {
		if err := server.Stop(); err != nil {
			t.Error(err)
		}
	})
	db := server.Database(t)
	var (
		armed sync.Mutex
		arm   bool
		thaw  func()
	)
	proxied := postgres.FreezingProxy(t, db, []byte("ROLLBACK\x00"), func() {
		armed.Lock()
		defer armed.Unlock()
		if arm {
			arm, thaw = false, server.Freeze(t)
		}
	})
	st := open(t, proxied+"&pool_max_conns=1")
	msg := func() *notify.Message {
		now := time.Now().UTC()
		return &notify.Message{ID: "dup", GroupID: "ops", Channel: notify.SMS, Recipients: []string{"13800138000"},
			Template: "SMS_1", Params: `{}`, Provider: "sandbox", Status: notify.Accepted, CreatedAt: now, UpdatedAt: now}
	}
	if err := st.CreateMessage(t.Context(), msg()); err != nil {
		t.Fatal(err)
	}
	armed.Lock()
	arm = true
	armed.Unlock()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- st.CreateMessage(ctx, msg()) }() // its id is taken: a conflict, rolled back
	select {
	case err := <-done:
		if err == nil {
			t.Error("a second record with one id was created")
		}
	case <-time.After(5 * time.Second):
		armed.Lock()
		thaw()
		armed.Unlock()
		<-done
		t.Fatal("a call with a 1 s deadline still waited for a frozen ROLLBACK after 5 s")
	}
	armed.Lock()
	thaw()
	armed.Unlock()
	// The pool's one slot is free again.
	ctx2, cancel2 := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel2()
	if _, err := st.Message(ctx2, "dup"); err != nil {
		t.Errorf("the next call on the pool: %v", err)
	}
}
