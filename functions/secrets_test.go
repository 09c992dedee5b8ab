package functions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/jackc/pgx/v5"

	"github.com/seed4ddb146e/notify/shared/fake/runtimeapi"
	"github.com/seed4ddb146e/notify/shared/fake/secretsext"
	"github.com/seed4ddb146e/notify/shared/store/postgres"
)

// Secret values of the tests below, none of which may show in a log.
const (
	secretDBPassword = "pg-pw-from-the-secret-7Qx2"
	secretGroupKey   = "group-key-from-the-secret-0123456789"
)

// passwordDatabase returns the URL of a new, migrated database that the
// URL's role, one of its own, logs in to with password.
func passwordDatabase(t *testing.T, password string) string {
	t.Helper()
	admin := pg.Database(t)
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	role := fmt.Sprintf("notify_secret_%d", time.Now().UnixNano())
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, sql := range []string{
		fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD '%s'`, role, password),
		fmt.Sprintf(`ALTER DATABASE %s OWNER TO %s`, strings.TrimPrefix(u.Path, "/"), role),
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(ctx)
		for _, sql := range []string{"REASSIGN OWNED BY " + role + " TO CURRENT_USER", "DROP OWNED BY " + role, "DROP ROLE " + role} {
			if _, err := conn.Exec(ctx, sql); err != nil {
				t.Errorf("%s: %v", sql, err)
			}
		}
	})
	u.User = url.UserPassword(role, password)
	db := u.String()
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}

// sendEvent is an HTTP API event of POST /sms as the group "vault" with
// its key.
func sendEvent(t *testing.T) []byte {
	t.Helper()
	const body = `{"GroupID":"vault","PhoneNumbers":"13800138000","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":"123456"}`
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "POST /sms", RawPath: "/sms", Body: body,
		Headers: map[string]string{"content-type": "application/json", "authorization": "Bearer " + secretGroupKey}}
	ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = "POST", "/sms"
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return payload
}

// TestSecretsFromExtension runs the sms binary on Lambda (the Runtime API
// emulator) with its database URL, its groups, its Aliyun keys and its
// callback token only in a Secrets Manager secret, which a fake
// Parameters and Secrets extension serves; the extension is still
// starting when the function asks first. A send through the fake Aliyun,
// by the group and key of the secret, is sent and recorded, and the log
// holds none of the secret's values.
func TestSecretsFromExtension(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	bin := filepath.Join(binaries(t), "sms")
	db := passwordDatabase(t, secretDBPassword)
	fake, aliyun := fakeAliyun(t)
	value := map[string]string{
		"NOTIFY_DATABASE_URL":   db,
		"NOTIFY_GROUPS":         `[{"id":"vault","channels":["sms"],"keys":["` + secretGroupKey + `"]}]`,
		"NOTIFY_CALLBACK_TOKEN": callbackToken,
	}
	var rest []string // what stays in the environment: the endpoint, the proxies off
	for _, kv := range aliyun {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ALIBABA_CLOUD_") {
			value[k] = v
		} else {
			rest = append(rest, kv)
		}
	}
	raw, err := json.Marshal(value)
	if err != nil {
		t.Fatal(err)
	}
	ext := secretsext.New(secretsext.Config{Secrets: map[string]string{"notify/test": string(raw)}, NotReady: 2})
	t.Cleanup(ext.Close)

	emu := runtimeapi.NewLambda()
	t.Cleanup(emu.Close)
	env := append([]string{"PATH=" + os.Getenv("PATH"), emu.Env(), "NOTIFY_SECRETS=" + secretsext.SecretARN("notify/test")}, ext.Env()...)
	c := startChild(t, bin, append(env, rest...))
	res, err := c.invoke(emu, sendEvent(t))
	if err != nil {
		t.Fatalf("invocation: %v\n%s", err, c.out)
	}
	r := decodeHTTPReply(t, "v2", res)
	var b struct{ Code, MessageId, Provider string }
	if err := json.Unmarshal([]byte(r.body), &b); err != nil || r.status != 200 || b.Code != "OK" || b.Provider != "aliyun" {
		t.Fatalf("reply %d %s; want 200, Code OK, through aliyun\n%s", r.status, r.body, c.out)
	}
	sends := fake.Sends()
	if len(sends) != 1 || sends[0].OutID != b.MessageId {
		t.Errorf("the fake Aliyun accepted %+v; want the one send of message %s", sends, b.MessageId)
	}
	if rs := records(t, db); len(rs) != 1 || rs[0].id != b.MessageId || rs[0].status != "submitted" || rs[0].provider != "aliyun" || rs[0].sandbox {
		t.Errorf("records %+v; want message %s, submitted to aliyun", rs, b.MessageId)
	}
	calls := ext.Calls()
	if len(calls) != 3 || calls[0].Status != 400 || calls[1].Status != 400 || calls[2].Status != 200 {
		t.Errorf("the extension answered %+v; want 400 twice while it started, then the secret", calls)
	}
	out := c.out.String()
	if !strings.Contains(out, `"msg":"configuration read from a secret"`) || !strings.Contains(out, "NOTIFY_DATABASE_URL") {
		t.Errorf("no log line of the secret read, with its variables:\n%s", out)
	}
	for _, v := range []string{secretDBPassword, secretGroupKey, callbackToken, value["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]} {
		if strings.Contains(out, v) {
			t.Errorf("the log holds a value of the secret (%.6s…):\n%s", v, out)
		}
	}
}

// TestSecretsRefused: the extension refuses the function's token (403),
// and the binary exits at start, naming NOTIFY_SECRETS and the secret,
// with nothing of the secret in its output.
func TestSecretsRefused(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	bin := filepath.Join(binaries(t), "sms")
	value := `{"NOTIFY_DATABASE_URL":"postgres://notify:` + secretDBPassword + `@db.internal/notify"}`
	ext := secretsext.New(secretsext.Config{Secrets: map[string]string{"notify/test": value}})
	t.Cleanup(ext.Close)
	emu := runtimeapi.NewLambda()
	t.Cleanup(emu.Close)
	env := append([]string{"PATH=" + os.Getenv("PATH"), emu.Env(), "NOTIFY_SECRETS=notify/test"}, ext.Env()...)
	c := startChild(t, bin, append(env, "AWS_SESSION_TOKEN=a-session-token-the-extension-refuses"))
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the function did not exit\n%s", c.out)
	}
	out := c.out.String()
	if c.err == nil || !strings.Contains(out, "sms: cannot start: NOTIFY_SECRETS=notify/test: the extension answered 403 Forbidden") {
		t.Errorf("exit %v, output %q; want a failure at start naming NOTIFY_SECRETS, the secret and the 403", c.err, out)
	}
	if strings.Contains(out, secretDBPassword) {
		t.Errorf("the output holds a value of the secret: %q", out)
	}
	if calls := ext.Calls(); len(calls) != 1 || calls[0].Status != 403 {
		t.Errorf("the extension answered %+v; want one 403: a refusal is not asked again", calls)
	}
}
