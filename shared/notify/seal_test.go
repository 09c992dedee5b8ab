package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

var (
	sealCur = Secret("the current code secret, 32 bytes or more")
	sealOld = Secret("the old code secret, still opening codes")
	sealKey = CodeKey{GroupID: "shop", PhoneNumber: "13800138000", Scene: "login"}
)

func mustKeyring(t testing.TB, secrets ...Secret) *CodeKeyring {
	t.Helper()
	r, err := NewCodeKeyring(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSealRoundTrip(t *testing.T) {
	r := mustKeyring(t, sealCur)
	for _, code := range []Code{"0000", "042917", "99999999"} {
		sealed := r.Seal(sealKey, "m1", code)
		got, err := r.Open(sealKey, "m1", sealed)
		if err != nil || got != code {
			t.Errorf("Open(Seal(%s)) = %s, %v; want the code back", code.Reveal(), got.Reveal(), err)
		}
		// A fresh nonce each time: two seals of one code differ.
		if again := r.Seal(sealKey, "m1", code); bytes.Equal(again, sealed) {
			t.Errorf("two seals of %s are the same bytes", code.Reveal())
		}
	}
}

func TestSealBound(t *testing.T) {
	r := mustKeyring(t, sealCur)
	sealed := r.Seal(sealKey, "m1", "042917")
	for _, tc := range []struct {
		name string
		key  CodeKey
		id   string
	}{
		{"another group", CodeKey{GroupID: "shop2", PhoneNumber: sealKey.PhoneNumber, Scene: sealKey.Scene}, "m1"},
		{"another number", CodeKey{GroupID: sealKey.GroupID, PhoneNumber: "13800138001", Scene: sealKey.Scene}, "m1"},
		{"another scene", CodeKey{GroupID: sealKey.GroupID, PhoneNumber: sealKey.PhoneNumber, Scene: "reset"}, "m1"},
		{"another message", sealKey, "m2"},
		// The framing keeps fields apart: "shop"+"1..." is not "sho"+"p1...".
		{"fields shifted", CodeKey{GroupID: "sho", PhoneNumber: "p" + sealKey.PhoneNumber, Scene: sealKey.Scene}, "m1"},
	} {
		if got, err := r.Open(tc.key, tc.id, sealed); err == nil {
			t.Errorf("%s: Open = %s, want an error", tc.name, got.Reveal())
		}
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 1
		if _, err := r.Open(sealKey, "m1", bad); err == nil {
			t.Errorf("byte %d altered: Open succeeded, want an error", i)
		}
	}
	for _, short := range [][]byte{nil, {}, sealed[:1], sealed[:len(sealed)-1]} {
		if _, err := r.Open(sealKey, "m1", short); err == nil {
			t.Errorf("Open(%d bytes) succeeded, want an error", len(short))
		}
	}
}

func TestSealRotation(t *testing.T) {
	before := mustKeyring(t, sealOld)
	after := mustKeyring(t, sealCur, sealOld)
	sealed := before.Seal(sealKey, "m1", "042917")
	if got, err := after.Open(sealKey, "m1", sealed); err != nil || got != "042917" {
		t.Errorf("Open under the rotated keyring = %s, %v; want the code sealed under the old secret", got.Reveal(), err)
	}
	// New codes are sealed under the current secret: once the old one is
	// retired they still open, and the old keyring cannot open them.
	fresh := after.Seal(sealKey, "m1", "318000")
	if got, err := mustKeyring(t, sealCur).Open(sealKey, "m1", fresh); err != nil || got != "318000" {
		t.Errorf("Open under the current secret alone = %s, %v", got.Reveal(), err)
	}
	if _, err := before.Open(sealKey, "m1", fresh); err == nil {
		t.Error("the old keyring opened a code sealed under the current secret")
	}
	if _, err := mustKeyring(t, sealCur).Open(sealKey, "m1", sealed); err == nil {
		t.Error("a code sealed under a retired secret opened")
	}
	// The sealing key is not the hashing key: a hash is no key to a seal.
	if bytes.Contains(sealed, HashCode([]byte(sealOld), sealKey, "042917")) {
		t.Error("the sealed code holds its hash")
	}
}

// TestSealLeaksNothing checks that neither a sealed code nor an error nor
// any printing of the keyring or an Escalation shows the code or the
// secret.
func TestSealLeaksNothing(t *testing.T) {
	r := mustKeyring(t, sealCur)
	const code = "042917"
	sealed := r.Seal(sealKey, "m1", code)
	_, openErr := r.Open(sealKey, "m2", sealed)
	esc := Escalation{Key: sealKey, Sealed: sealed, MessageID: "m1", ExpiresAt: time.Unix(0, 0), EscalateTo: EscalateToVoice}
	opened, _ := r.Open(sealKey, "m1", sealed)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	log.Info("x", "code", opened, "keyring", r, "escalation", esc, "err", openErr)
	j, _ := json.Marshal(map[string]any{"code": opened, "escalation": esc})
	out := strings.Join([]string{logs.String(), string(j), fmt.Sprintf("%v %+v %#v %v %s", opened, opened, opened, r, openErr),
		fmt.Sprintf("%v %+v", esc, esc), string(sealed)}, "\n")
	for _, secret := range []string{code, sealCur.Reveal()} {
		if strings.Contains(out, secret) {
			t.Errorf("%q shows in:\n%s", secret, out)
		}
	}
}

func BenchmarkSealOpen(b *testing.B) {
	r := mustKeyring(b, sealCur, sealOld)
	for b.Loop() {
		if _, err := r.Open(sealKey, "m1", r.Seal(sealKey, "m1", "042917")); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleCodeKeyring_Seal() {
	ring, err := NewCodeKeyring("the current secret, sealing new codes", "the old secret, still opening codes")
	if err != nil {
		panic(err)
	}
	key := CodeKey{GroupID: "ops", PhoneNumber: "13800138000", Scene: "login"}
	sealed := ring.Seal(key, "m1", "042917")

	code, err := ring.Open(key, "m1", sealed)
	fmt.Println(code, code.Reveal(), err)
	_, err = ring.Open(key, "m2", sealed)
	fmt.Println(err)
	// Output:
	// REDACTED 042917 <nil>
	// open a sealed code: not sealed for this key and message under any secret
}
