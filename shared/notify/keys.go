package notify

import "sync/atomic"

// AccessKeys are a cloud account's access keys: an AccessKey pair, and a
// security token when they are temporary (STS) credentials.
type AccessKeys struct {
	AccessKeyID     string
	AccessKeySecret Secret
	SecurityToken   Secret
}

// Keys hold the credentials in force, which may be replaced while the
// function runs: Aliyun FC gives each invocation the current STS
// credentials of the function's role, valid for 36 hours, and those it
// found at the instance's start expire under an instance that lives
// longer. A provider reads Current for each client it makes. Keys are safe
// for concurrent use.
type Keys struct {
	cur atomic.Pointer[AccessKeys]
}

// NewKeys returns Keys holding c.
func NewKeys(c AccessKeys) *Keys {
	k := new(Keys)
	k.cur.Store(&c)
	return k
}

// Current returns the credentials in force. The pointer changes only when
// Set changes them, so a client made for one pointer may be kept as long
// as Current returns it.
func (k *Keys) Current() *AccessKeys { return k.cur.Load() }

// Set replaces the credentials in force with c, unless c lacks an
// AccessKeyID or an AccessKeySecret (such as an FC invocation of a
// function without a role brings), or equals them. It reports whether
// they changed.
func (k *Keys) Set(c AccessKeys) bool {
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		return false
	}
	for {
		old := k.cur.Load()
		if old != nil && *old == c {
			return false
		}
		if k.cur.CompareAndSwap(old, &c) {
			return true
		}
	}
}
