package config

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// A key written sha256:<64 hex> is kept as it is, for notify to compare
// as the hash of what callers present; a malformed one is a problem that
// names the field and never echoes the value.
func TestLoadHashedKeys(t *testing.T) {
	sum := sha256.Sum256([]byte("a-caller-key-0123456789"))
	hashed := "sha256:" + hex.EncodeToString(sum[:])
	c, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"],"keys":["` + hashed + `"]}]`}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.Groups[0].Keys; len(got) != 1 || got[0].Reveal() != hashed {
		t.Errorf("keys = %q; want [%s]", got, hashed)
	}
	for _, bad := range []string{hashed[:len(hashed)-1], hashed + "0", "sha256:" + strings.Repeat("z", 64), "sha256:"} {
		_, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"],"keys":["0123456789abcdef","` + bad + `"]}]`}))
		if err == nil || !strings.Contains(err.Error(), `NOTIFY_GROUPS[0] (id "a").keys[1]: want "sha256:" and the 64 hex digits`) {
			t.Errorf("keys [%q]: error %v; want one naming keys[1]", bad, err)
		}
		if err != nil && len(bad) > len("sha256:") && strings.Contains(err.Error(), bad[len("sha256:"):]) {
			t.Errorf("keys [%q]: the error echoes the value: %v", bad, err)
		}
	}
}
