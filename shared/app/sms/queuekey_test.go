package sms_test

import (
	"strings"
	"testing"
)

// A producer's IdempotencyKey is scoped to its group: group "shop" cannot,
// by a key that holds a colon, name the queue message of group "shop:vip"
// (group ids may hold colons), and so have it taken for a redelivery of
// its own and never sent.
func TestQueueProducerKeyOfAnotherGroup(t *testing.T) {
	t.Parallel()
	g := newGateway(t, map[string]string{"NOTIFY_GROUPS": `[
 {"id":"shop","channels":["sms"],"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0}}},
 {"id":"shop:vip","channels":["sms"],"limits":{"verification":{"per_minute":0,"per_hour":0,"per_day":0}}}]`})
	attacker := strings.Replace(seedBody, `"GroupID":"bc-fumin"`, `"IdempotencyKey":"vip:order-7","GroupID":"shop"`, 1)
	victim := strings.Replace(seedBody, `"GroupID":"bc-fumin"`, `"IdempotencyKey":"order-7","GroupID":"shop:vip"`, 1)
	if status, rep := g.postQueued(t, attacker, "sqs-id-1"); status != 200 {
		t.Fatalf("shop's message: %d %+v", status, rep)
	}
	status, rep := g.postQueued(t, victim, "sqs-id-2")
	if status != 200 || len(g.fake.Sends()) != 2 {
		t.Fatalf("shop:vip's message: %d %+v, %d sends in all; want it sent, 2 sends", status, rep, len(g.fake.Sends()))
	}
	if m := g.Record(t, rep.MessageId); m.GroupID != "shop:vip" {
		t.Errorf("shop:vip was answered with the record of group %q", m.GroupID)
	}
}
