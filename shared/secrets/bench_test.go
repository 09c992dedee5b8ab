package secrets_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/fake/secretsext"
	"github.com/seed4ddb146e/notify/shared/secrets"
)

// BenchmarkOverlay measures what reading the secret adds to a cold start
// on this side of the extension: one call on localhost, on a new
// connection, and reading its answer, for a secret that holds what
// README's Secrets table moves there, with 20 groups of two hashed keys
// each (6.3 KiB). What the extension spends fetching it from Secrets
// Manager on its first call is not in it.
func BenchmarkOverlay(b *testing.B) {
	var groups []string
	for i := range 20 {
		groups = append(groups, fmt.Sprintf(`{"id":"group-%02d","channels":["sms","tts","mail"],"keys":["sha256:%064x","sha256:%064x"],`+
			`"sign_names":["notify"],"templates":["SMS_%08d"]}`, i, i, i+1, i))
	}
	value := fmt.Sprintf(`{"NOTIFY_GROUPS":%q,"NOTIFY_DATABASE_URL":"postgres://notify:0123456789abcdef@db.internal:5432/notify?sslmode=require",`+
		`"ALIBABA_CLOUD_ACCESS_KEY_ID":"LTAI5tBenchKeyId0123","ALIBABA_CLOUD_ACCESS_KEY_SECRET":"0123456789abcdef0123456789abcd",`+
		`"TENCENTCLOUD_SECRET_ID":"AKID0123456789abcdef0123456789abcdef","TENCENTCLOUD_SECRET_KEY":"0123456789abcdef0123456789abcdef",`+
		`"NOTIFY_CLOOPEN_AUTH_TOKEN":"0123456789abcdef0123456789abcdef","NOTIFY_CODE_SECRET":"%064x",`+
		`"NOTIFY_SMTP_URL":"smtps://notify:0123456789abcdef@smtp.example.com:465","NOTIFY_CALLBACK_TOKEN":"0123456789abcdef0123456789abcdef",`+
		`"NOTIFY_CONSOLE_SECRET":"%064x"}`, "["+strings.Join(groups, ",")+"]", 1, 2)
	ext := secretsext.New(secretsext.Config{Secrets: map[string]string{"notify/prod": value}})
	defer ext.Close()
	environ := map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "NOTIFY_SECRETS": "notify/prod",
		"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": ext.Port(), "AWS_SESSION_TOKEN": ext.Token()}
	getenv := func(k string) string { return environ[k] }
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	for b.Loop() {
		env, err := secrets.Overlay(context.Background(), getenv, config.Variables)
		if err != nil || len(env.Names) != 11 {
			b.Fatalf("Overlay: %v, %v", env, err)
		}
	}
}
