package notify_test

import (
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
)

func TestKeys(t *testing.T) {
	first := notify.AccessKeys{AccessKeyID: "STS.a", AccessKeySecret: "s1", SecurityToken: "t1"}
	k := notify.NewKeys(first)
	p := k.Current()
	if *p != first {
		t.Fatalf("Current() = %+v, want %+v", *p, first)
	}
	if k.Set(first) || k.Current() != p {
		t.Error("Set of the same keys changed them: a client made for them would be dropped")
	}
	if k.Set(notify.AccessKeys{}) || k.Current() != p {
		t.Error("Set of empty keys (an invocation without a role) replaced the keys in force")
	}
	if k.Set(notify.AccessKeys{AccessKeyID: "STS.b", SecurityToken: "t2"}) || k.Current() != p {
		t.Error("Set of keys without a secret (headers half given) replaced the keys in force: nothing could sign")
	}
	next := first
	next.SecurityToken = "t2"
	if !k.Set(next) || *k.Current() != next {
		t.Errorf("Set(%+v) did not replace the keys: %+v", next, *k.Current())
	}
}
