package config

import (
	"strings"
	"testing"
)

func TestLocalInvokeEnv(t *testing.T) {
	env := map[string]string{"AWS_SAM_LOCAL": "true", "NOTIFY_GROUPS": "", "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIdeployer",
		"NOTIFY_SMTP_URL": "smtp://u:p@mail.example.com:587", "NOTIFY_LOG_LEVEL": "debug",
		"NOTIFY_DATABASE_URL": "postgres://notify:pw@db.example.com:5432/notify"}
	getenv := func(k string) string { return env[k] }
	if LocalInvoke(getenv) != "AWS_SAM_LOCAL=true" || LocalInvoke(func(string) string { return "" }) != "" {
		t.Fatal("LocalInvoke does not tell AWS_SAM_LOCAL=true from nothing")
	}
	if got := LocalInvoke(func(k string) string { return map[string]string{"NOTIFY_LOCAL": "true"}[k] }); got != "NOTIFY_LOCAL=true" {
		t.Errorf("LocalInvoke of NOTIFY_LOCAL=true = %q", got)
	}
	local := LocalInvokeEnv(getenv)
	if local("ALIBABA_CLOUD_ACCESS_KEY_ID") != "" || local("NOTIFY_SMTP_URL") != "" {
		t.Error("a provider's keys reach a local invoke")
	}
	if local("NOTIFY_DATABASE_URL") != "" {
		t.Error("the deployment's database reaches a local invoke")
	}
	if local("NOTIFY_GROUPS") != LocalDefault("NOTIFY_GROUPS") || local("NOTIFY_LOG_LEVEL") != "debug" {
		t.Error("an empty variable does not take its local default, or a set one does not stay")
	}
	c, err := load(local, true)
	if err != nil || c.Aliyun.Configured() || len(c.Groups) != 1 || c.Groups[0].ID != "demo" {
		t.Fatalf("load of the local invoke's environment: %+v, %v; want the demo group, no Aliyun keys", c.Groups, err)
	}
	if _, err := load(local, false); err == nil || !strings.Contains(err.Error(), "EMBEDDED_STORE=1") {
		t.Errorf("a build without the store: %v; want it to say EMBEDDED_STORE=1", err)
	}
}

// TestLocalInvokeEnvWithProviders: a local invoke in a shell that has
// every provider's settings exported for `s deploy` (s.yaml passes them
// all on) starts, on the sandbox: dropping the keys of Tencent and
// Cloopen but not their app ids would leave each configured in part.
func TestLocalInvokeEnvWithProviders(t *testing.T) {
	env := map[string]string{"NOTIFY_LOCAL": "true",
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIdeployer", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "aliyun-secret",
		"TENCENTCLOUD_SECRET_ID": "AKIDdeployer", "TENCENTCLOUD_SECRET_KEY": "tencent-secret",
		"NOTIFY_TENCENT_SMS_APP_ID": "1400000000", "NOTIFY_TENCENT_SMS_REGION": "ap-guangzhou",
		"NOTIFY_CLOOPEN_ACCOUNT_SID": "8a216da8", "NOTIFY_CLOOPEN_AUTH_TOKEN": "cloopen-token",
		"NOTIFY_CLOOPEN_APP_ID": "8a216da9"}
	c, err := load(LocalInvokeEnv(func(k string) string { return env[k] }), true)
	if err != nil {
		t.Fatalf("load of a local invoke's environment with every provider's settings: %v", err)
	}
	if c.Aliyun.Configured() || c.Tencent.Configured() || c.Cloopen.Configured() {
		t.Errorf("a provider stays configured in a local invoke: aliyun %v, tencent %v, cloopen %v",
			c.Aliyun.Configured(), c.Tencent.Configured(), c.Cloopen.Configured())
	}
}

// TestLocalInvokeEscalation: a local invoke of a deployment's groups, one
// of whose codes escalates to the next SMS provider, starts: the local
// invoke drops the providers' keys, and a send with no next provider is
// dropped at run time, as a local invoke's sandbox has none.
func TestLocalInvokeEscalation(t *testing.T) {
	env := map[string]string{"NOTIFY_LOCAL": "true",
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIdeployer", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "aliyun-secret",
		"TENCENTCLOUD_SECRET_ID": "AKIDdeployer", "TENCENTCLOUD_SECRET_KEY": "tencent-secret",
		"NOTIFY_TENCENT_SMS_APP_ID": "1400000000",
		"NOTIFY_TEMPLATES":          `[{"name":"login_code","ids":{"aliyun":"SMS_1","tencent":"2"}}]`,
		"NOTIFY_GROUPS": `[{"id":"shop","channels":["sms"],"codes":{"login":{"template":"login_code",` +
			`"escalate_after":"45s","escalate_to":"next_provider"}}}]`}
	getenv := func(k string) string { return env[k] }
	if _, err := load(getenv, true); err != nil {
		t.Fatalf("the deployment's own configuration: %v", err)
	}
	if _, err := load(LocalInvokeEnv(getenv), true); err != nil {
		t.Errorf("a local invoke of the deployment's configuration: %v", err)
	}
	delete(env, "NOTIFY_LOCAL")
	delete(env, "TENCENTCLOUD_SECRET_ID")
	delete(env, "TENCENTCLOUD_SECRET_KEY")
	delete(env, "NOTIFY_TENCENT_SMS_APP_ID")
	if _, err := load(getenv, true); err == nil || !strings.Contains(err.Error(), "needs two configured SMS providers") {
		t.Errorf("outside a local invoke, one provider: %v; want the escalation refused", err)
	}
}

// TestLocalInvokeFlagSpelling: NOTIFY_LOCAL is true, false or unset.
// Another spelling (1, TRUE, "true " from a file) made no local invoke:
// `NOTIFY_LOCAL=1 s local invoke` ran the function as deployed, with the
// deployer's keys and database, and sent for real.
func TestLocalInvokeFlagSpelling(t *testing.T) {
	for _, v := range []string{"1", "TRUE", "True", "yes", "true "} {
		e := map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"]}]`, "NOTIFY_LOCAL": v}
		if LocalInvoke(env(e)) != "" {
			t.Fatalf("NOTIFY_LOCAL=%q is a local invoke; this test wants a spelling LocalInvoke does not take", v)
		}
		if _, err := load(env(e), true); err == nil || !strings.Contains(err.Error(), "NOTIFY_LOCAL: ") {
			t.Errorf("NOTIFY_LOCAL=%q: %v; want it refused, named", v, err)
		}
	}
	for _, v := range []string{"", "true", "false"} {
		e := map[string]string{"NOTIFY_GROUPS": `[{"id":"a","channels":["sms"]}]`, "NOTIFY_LOCAL": v}
		if _, err := load(env(e), true); err != nil {
			t.Errorf("NOTIFY_LOCAL=%q: %v", v, err)
		}
	}
}
