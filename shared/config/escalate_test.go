package config

import (
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// escalateEnv is a configuration with Aliyun and Tencent set up and a
// registry template both can send; groups is NOTIFY_GROUPS.
func escalateEnv(groups string) map[string]string {
	return map[string]string{
		"NOTIFY_GROUPS":                   groups,
		"NOTIFY_TEMPLATES":                `[{"name":"login_code","kind":"verification","ids":{"aliyun":"SMS_1","tencent":"1234567"}}]`,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     "LTAI-escalate-test",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "escalate-test-secret",
		"TENCENTCLOUD_SECRET_ID":          "AKID-escalate-test",
		"TENCENTCLOUD_SECRET_KEY":         "escalate-test-tencent-key",
		"NOTIFY_TENCENT_SMS_APP_ID":       "1400000000",
	}
}

func TestLoadEscalation(t *testing.T) {
	c, err := Load(env(escalateEnv(`[{"id":"shop","channels":["sms","tts"],"codes":{
		"login":{"sign_name":"冰鉴科技","template":"login_code","escalate_after":"45s","escalate_to":"next_provider"},
		"reset":{"sign_name":"冰鉴科技","template":"SMS_9","escalate_after":"1m30s","escalate_to":"tts"},
		"pay":{"sign_name":"冰鉴科技","template":"SMS_9"},
		"*":{"sign_name":"冰鉴科技","template":"SMS_9","tts_template":"TTS_1"}}}]`)))
	if err != nil {
		t.Fatal(err)
	}
	codes := c.Groups[0].Codes
	for scene, want := range map[string]struct {
		after time.Duration
		to    notify.EscalateTo
	}{
		"login": {45 * time.Second, notify.EscalateToNextProvider},
		"reset": {90 * time.Second, notify.EscalateToVoice},
		"pay":   {0, ""},
	} {
		if got := codes[scene]; got.EscalateAfter != want.after || got.EscalateTo != want.to {
			t.Errorf("codes.%s escalates after %v to %q, want %v to %q", scene, got.EscalateAfter, got.EscalateTo, want.after, want.to)
		}
	}
}

func TestLoadEscalationProblems(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups string
		extra  map[string]string
		want   []string
	}{
		{"fields on their own", `[{"id":"shop","channels":["sms","tts"],"codes":{
			"a":{"template":"SMS_9","tts_template":"TTS_1","escalate_after":"soon","escalate_to":"tts"},
			"b":{"template":"SMS_9","tts_template":"TTS_1","escalate_after":"-5s","escalate_to":"tts"},
			"c":{"template":"SMS_9","tts_template":"TTS_1","escalate_after":"45s"},
			"d":{"template":"SMS_9","tts_template":"TTS_1","escalate_after":"45s","escalate_to":"fax"},
			"e":{"template":"SMS_9","tts_template":"TTS_1","escalate_to":"tts"}}}]`, nil, []string{
			`NOTIFY_GROUPS[0] (id "shop").codes.a.escalate_after: "soon" is not a duration`,
			`NOTIFY_GROUPS[0] (id "shop").codes.b.escalate_after: -5s; want more than 0`,
			`NOTIFY_GROUPS[0] (id "shop").codes.c.escalate_to: missing`,
			`NOTIFY_GROUPS[0] (id "shop").codes.d.escalate_to: "fax"`,
			`NOTIFY_GROUPS[0] (id "shop").codes.e.escalate_to: set without escalate_after`,
		}},
		{"not shorter than the TTL", `[{"id":"shop","channels":["sms","tts"],"codes":{
			"a":{"template":"SMS_9","tts_template":"TTS_1","escalate_after":"2m","escalate_to":"tts"},
			"b":{"template":"SMS_9","tts_template":"TTS_1","escalate_after":"3m","escalate_to":"tts"}}}]`,
			map[string]string{"NOTIFY_CODE_TTL": "2m"}, []string{
				`NOTIFY_GROUPS[0] (id "shop").codes.a.escalate_after: 2m0s is not shorter than the code TTL (NOTIFY_CODE_TTL), 2m0s`,
				`NOTIFY_GROUPS[0] (id "shop").codes.b.escalate_after: 3m0s is not shorter`,
			}},
		{"tts without a voice template or channel", `[{"id":"shop","channels":["sms"],"codes":{
			"a":{"template":"SMS_9","escalate_after":"45s","escalate_to":"tts"}}}]`, nil, []string{
			`NOTIFY_GROUPS[0] (id "shop").codes.a.escalate_to: "tts" needs a tts_template for the scene or for "*"`,
			`NOTIFY_GROUPS[0] (id "shop").codes.a.escalate_to: "tts" but the group may not use channel tts`,
		}},
		{"a raw Aliyun code goes through Aliyun alone", `[{"id":"shop","channels":["sms"],"codes":{
			"a":{"template":"SMS_9","escalate_after":"45s","escalate_to":"next_provider"}}}]`, nil, []string{
			`NOTIFY_GROUPS[0] (id "shop").codes.a.escalate_to: "next_provider" needs two configured SMS providers that can send template "SMS_9"; the group has aliyun alone`,
		}},
		{"the group routes through one provider", `[{"id":"shop","channels":["sms"],"providers":["tencent"],"codes":{
			"a":{"template":"login_code","escalate_after":"45s","escalate_to":"next_provider"}}}]`, nil, []string{
			`codes.a.escalate_to: "next_provider" needs two configured SMS providers that can send template "login_code"; the group has tencent alone`,
		}},
		{"tencent not configured", `[{"id":"shop","channels":["sms"],"codes":{
			"a":{"template":"login_code","escalate_after":"45s","escalate_to":"next_provider"}}}]`,
			map[string]string{"TENCENTCLOUD_SECRET_ID": "", "TENCENTCLOUD_SECRET_KEY": "", "NOTIFY_TENCENT_SMS_APP_ID": ""}, []string{
				`the group has aliyun alone`,
			}},
		{"no SMS template", `[{"id":"shop","channels":["sms","tts"],"codes":{
			"a":{"tts_template":"TTS_1","escalate_after":"45s","escalate_to":"tts"}}}]`, nil, []string{
			`codes.a.escalate_after: set on a scene without an SMS template`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := escalateEnv(tc.groups)
			for k, v := range tc.extra {
				e[k] = v
			}
			_, err := Load(env(e))
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if n := strings.Count(err.Error(), "; ") + 1; n < len(tc.want) {
				t.Errorf("error lists %d problems, want at least %d, all at once", n, len(tc.want))
			}
		})
	}
}
