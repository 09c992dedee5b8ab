package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
)

// largeConfig is the environment of a large deployment: 200 groups, each
// configured in full (keys, sign names, templates, limits, codes), and
// 500 templates, each with ids at every provider and variables.
func largeConfig(tb testing.TB) map[string]string {
	tb.Helper()
	const groups, templates = 200, 500
	var ts []map[string]any
	for i := range templates {
		ts = append(ts, map[string]any{
			"name": fmt.Sprintf("template_%03d", i), "kind": "verification",
			"variables": []map[string]any{{"name": "code", "max_len": 6, "chars": "digits"}, {"name": "product", "max_len": 20}},
			"ids":       map[string]string{"aliyun": fmt.Sprintf("SMS_%09d", i), "tencent": fmt.Sprint(1000000 + i), "cloopen": fmt.Sprint(2000 + i)},
		})
	}
	window := map[string]int{"per_minute": 1, "per_hour": 5, "per_day": 10}
	var gs []map[string]any
	for i := range groups {
		sum := sha256.Sum256(fmt.Appendf(nil, "group-%03d-second-key-0123456789", i))
		tpl := func(j int) string { return fmt.Sprintf("template_%03d", (i*5+j)%templates) }
		gs = append(gs, map[string]any{
			"id": fmt.Sprintf("group-%03d", i), "channels": []string{"sms", "tts", "mail"},
			"sign_names": []string{"冰鉴科技", fmt.Sprintf("签名%03d", i)},
			"templates":  []string{tpl(0), tpl(1), tpl(2), tpl(3), tpl(4), "TTS_1"},
			"keys":       []string{fmt.Sprintf("group-%03d-first-key-0123456789", i), "sha256:" + hex.EncodeToString(sum[:])},
			"mail_from":  fmt.Sprintf("group-%03d@example.com", i), "mail_domains": []string{"example.com"},
			"providers": []string{"aliyun", "tencent", "cloopen"},
			"limits":    map[string]any{"verification": window, "notification": window, "voice": window, "daily_cap": 1000},
			"codes": map[string]any{
				"login":    map[string]string{"sign_name": "冰鉴科技", "template": tpl(0), "tts_template": "TTS_1", "escalate_after": "45s", "escalate_to": "tts"},
				"register": map[string]string{"sign_name": "冰鉴科技", "template": tpl(1), "escalate_after": "45s", "escalate_to": "next_provider"},
				"*":        map[string]string{"sign_name": "冰鉴科技", "template": tpl(2), "tts_template": "TTS_1"},
			},
		})
	}
	g, err := json.Marshal(gs)
	if err != nil {
		tb.Fatal(err)
	}
	t, err := json.Marshal(ts)
	if err != nil {
		tb.Fatal(err)
	}
	return map[string]string{
		"NOTIFY_GROUPS": string(g), "NOTIFY_TEMPLATES": string(t),
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-bench", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "bench-secret",
		"TENCENTCLOUD_SECRET_ID": "AKID-bench", "TENCENTCLOUD_SECRET_KEY": "bench-key", "NOTIFY_TENCENT_SMS_APP_ID": "1400000000",
		"NOTIFY_CLOOPEN_ACCOUNT_SID": "bench-sid", "NOTIFY_CLOOPEN_AUTH_TOKEN": "bench-token", "NOTIFY_CLOOPEN_APP_ID": "bench-app",
		"NOTIFY_CODE_SECRET":  "bench-code-secret-0123456789abcdef",
		"NOTIFY_DATABASE_URL": "postgres://notify@localhost/notify",
	}
}

// BenchmarkLoadLarge measures Load, the configuration's part of a cold
// start, for 200 groups and 500 templates.
func BenchmarkLoadLarge(b *testing.B) {
	vars := largeConfig(b)
	b.Logf("NOTIFY_GROUPS %d bytes, NOTIFY_TEMPLATES %d bytes", len(vars["NOTIFY_GROUPS"]), len(vars["NOTIFY_TEMPLATES"]))
	getenv := env(vars)
	if _, err := Load(getenv); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Load(getenv)
	}
}
