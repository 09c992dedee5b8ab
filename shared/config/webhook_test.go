package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadWebhook(t *testing.T) {
	c, err := Load(env(map[string]string{
		"NOTIFY_GROUPS": `[{"id":"shop","channels":["sms"],"webhook":{"url":"https://hooks.shop.example/n?t=1",
			"secrets":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwYm9va3M=","a-plain-secret-of-24-bytes!"]}},
			{"id":"quiet","channels":["sms"]}]`,
		"NOTIFY_WEBHOOK_ALLOW_PRIVATE": "true",
		"NOTIFY_RETENTION_DAYS":        "30",
	}))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Groups[0].Webhook
	if w == nil || w.URL != "https://hooks.shop.example/n?t=1" || len(w.Secrets) != 2 || c.Groups[1].Webhook != nil {
		t.Errorf("webhooks %+v, %+v; want shop's with two secrets, none for quiet", w, c.Groups[1].Webhook)
	}
	if !c.WebhookAllowPrivate || c.Retention != 30*24*time.Hour {
		t.Errorf("allow private %v, retention %v; want true, 30 days", c.WebhookAllowPrivate, c.Retention)
	}
}

// TestLoadWebhookProblems: each problem names the group and the field,
// never the secret; plain http is a local run's only.
func TestLoadWebhookProblems(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwYm9va3M="
	tests := []struct {
		name, webhook, want string
		runtime             string // AWS_LAMBDA_RUNTIME_API, when set
	}{
		{"http", `{"url":"http://hooks.example.com/","secret":"` + secret + `"}`, `webhook.url: webhook: url: must be https`, ""},
		{"http loopback in the cloud", `{"url":"http://127.0.0.1:9000/","secret":"` + secret + `"}`, `webhook.url: webhook: url: must be https`, "127.0.0.1:9001"},
		{"no url", `{"secret":"` + secret + `"}`, `webhook.url: webhook: url: not an absolute URL`, ""},
		{"no host", `{"url":"https://:8443/hooks","secret":"` + secret + `"}`, `webhook.url: webhook: url: not an absolute URL`, ""},
		{"user info", `{"url":"https://u:p@hooks.example.com/","secret":"` + secret + `"}`, `webhook.url: webhook: url: user information`, ""},
		{"no secret", `{"url":"https://hooks.example.com/"}`, `webhook.secret: missing`, ""},
		{"short secret", `{"url":"https://hooks.example.com/","secret":"hunter2-hunter2"}`, `webhook.secrets[0]: webhook: secret: at least 24`, ""},
		{"bad base64", `{"url":"https://hooks.example.com/","secret":"whsec_!!not-base64-at-all-but-long!!"}`, `webhook.secrets[0]: webhook: secret: after whsec_`, ""},
		{"three secrets", `{"url":"https://hooks.example.com/","secrets":["` + secret + `","` + secret + `","` + secret + `"]}`, `webhook.secrets: 3 secrets; at most 2`, ""},
		{"unknown field", `{"url":"https://hooks.example.com/","secret":"` + secret + `","retries":3}`, `unknown field "retries"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(map[string]string{
				"NOTIFY_GROUPS":          `[{"id":"shop","channels":["sms"],"webhook":` + tt.webhook + `}]`,
				"AWS_LAMBDA_RUNTIME_API": tt.runtime,
			}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %v; want a problem containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "MfKQ9r8G") {
				t.Errorf("the problem echoes a secret: %v", err)
			}
		})
	}
	// Locally, plain http to loopback is allowed.
	if _, err := Load(env(map[string]string{
		"NOTIFY_GROUPS": `[{"id":"shop","channels":["sms"],"webhook":{"url":"http://127.0.0.1:9000/","secret":"` + secret + `"}}]`,
	})); err != nil {
		t.Errorf("a loopback http webhook in a local run: %v", err)
	}
	for _, v := range []string{"0", "-1", "3651", "ten", "1.5"} {
		if _, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"]}]`,
			"NOTIFY_RETENTION_DAYS": v})); err == nil || !strings.Contains(err.Error(), "NOTIFY_RETENTION_DAYS") {
			t.Errorf("NOTIFY_RETENTION_DAYS=%s: %v; want a problem", v, err)
		}
	}
	if _, err := Load(env(map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"]}]`,
		"NOTIFY_WEBHOOK_ALLOW_PRIVATE": "yes"})); err == nil || !strings.Contains(err.Error(), "NOTIFY_WEBHOOK_ALLOW_PRIVATE") {
		t.Errorf("NOTIFY_WEBHOOK_ALLOW_PRIVATE=yes: %v; want a problem", err)
	}
}
